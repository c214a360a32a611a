"""The Discord transport (``pip install 'chatops[discord]'``): gateway and application commands."""

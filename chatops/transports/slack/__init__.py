"""The Slack transport (``pip install 'chatops[slack]'``): Socket Mode or HTTP, on slack-sdk."""

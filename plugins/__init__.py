"""chatops' built-in plugins, installed as ``chatops_plugins``.

They use only the public hooks and API, exactly as an outside
organisation's plugin would, and load through the same entry points.
"""

"""The Matrix transport (extra ``chatops[matrix]``), on matrix-nio.

``render`` and ``inbound`` are pure (content -> event content, event ->
``Message``); ``transport`` does the I/O: login, the sync loop, sends,
rooms and direct messages.  ``plugin`` registers it without importing nio
until a config names it.
"""

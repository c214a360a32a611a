"""The typed, serialisable chat model shared by every transport and plugin."""

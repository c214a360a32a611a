"""Transports: thin adapters between a chat platform and the chat model."""

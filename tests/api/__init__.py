"""Tests of the HTTP API plugin (a package, so its conftest does not replace the other directories' ``conftest`` module)."""

"""Testing chatops and its plugins: a fake transport, an in-process harness, a fake clock.

Installed as a pytest plugin (entry point ``pytest11``); see
docs/testing-plugins.md.  Fixtures: ``chatops_db_url``, ``chat``,
``chat_factory``, ``register_plugin``.
"""

from chatops.clock import FakeClock
from chatops.testing.fake import FakeTransport, Sent
from chatops.testing.harness import DEFAULT_START, Harness
from chatops.testing.servers import local_server

__all__ = ["DEFAULT_START", "FakeClock", "FakeTransport", "Harness", "Sent", "local_server"]

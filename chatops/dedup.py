"""Remembering recently handled inbound event ids, so a redelivery is handled once."""

from __future__ import annotations

from collections import OrderedDict


class RecentIds:
    """A bounded window of ids; ``seen`` records an id and says if it was already there."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, event_id: str) -> bool:
        if event_id in self._ids:
            return True
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return False

"""Who is called what on a platform, as learnt from what the platform itself said.

Names come from the platform's user records and from the sender fields of
its payloads, never from text a person typed (a Slack ``<@U123|alice>`` label
is typed text).  Display names are not unique: ``@name`` resolves only when
exactly one known person has it.
"""

from __future__ import annotations


class NameBook:
    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._ids: dict[str, set[str]] = {}

    def __contains__(self, user_id: str) -> bool:
        return user_id in self._names

    def learn(self, user_id: str, name: str | None) -> None:
        if not name:
            return
        old = self._names.get(user_id)
        if old is not None:
            self._ids.get(old.lower(), set()).discard(user_id)
        self._names[user_id] = name
        self._ids.setdefault(name.lower(), set()).add(user_id)

    def name(self, user_id: str) -> str:
        return self._names.get(user_id, user_id)

    def only(self, name: str) -> str | None:
        """The one person known by ``name`` (case-insensitive), or None if none or several."""
        found = self._ids.get(name.lower(), set())
        return next(iter(found)) if len(found) == 1 else None

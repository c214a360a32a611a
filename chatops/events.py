"""Domain events: typed facts, stored once with time and actor, observed through hooks.

A plugin defines its events as ``DomainEvent`` subclasses with a ``kind``
and records them with ``record(tx, event)`` inside the write that changes
its state, so the fact and the change commit together.  Observers see it
twice: inside the transaction (``chatops_event_recorded``, for durable
reactions) and after the commit (``chatops_event_committed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import insert, select

from chatops.storage.tables import events

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from chatops.storage.db import Tx

_KINDS: dict[str, type[DomainEvent]] = {}
_BASE_FIELDS = ("stream", "at", "actor", "id")


class DomainEvent(BaseModel):
    """Base of every domain event.  ``kind`` is snake_case and unique."""

    model_config = ConfigDict(frozen=True)
    kind: ClassVar[str] = ""

    stream: str
    at: datetime
    actor: str
    id: int | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            if cls.kind in _KINDS and _KINDS[cls.kind].__qualname__ != cls.__qualname__:
                raise TypeError(f"event kind {cls.kind!r} is already defined")
            _KINDS[cls.kind] = cls

    def data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude=set(_BASE_FIELDS))


class UnknownEvent(DomainEvent):
    """An event whose class is not loaded (its plugin is disabled)."""

    event_kind: str = ""
    payload: dict[str, Any] = {}

    def data(self) -> dict[str, Any]:
        return dict(self.payload)


async def record(tx: Tx, event: DomainEvent) -> DomainEvent:
    """Store ``event`` in ``tx``, let in-transaction observers react, and
    schedule the after-commit observers.  Returns the event with its id."""
    result = await tx.execute(
        insert(events).values(
            stream=event.stream, kind=event.kind, at=event.at, actor=event.actor, data=event.data()
        )
    )
    stored = event.model_copy(update={"id": result.inserted_primary_key[0]})
    app = tx.app
    if app is not None:
        await app.observe_recorded(tx, stored)
        tx.after_commit(lambda: app.observe_committed(stored))
    return stored


def load(row: Any) -> DomainEvent:
    cls = _KINDS.get(row.kind)
    base = {"id": row.id, "stream": row.stream, "at": row.at, "actor": row.actor}
    if cls is None:
        return UnknownEvent(**base, event_kind=row.kind, payload=row.data)
    return cls(**base, **row.data)


def kind_of(event: DomainEvent) -> str:
    return event.event_kind if isinstance(event, UnknownEvent) else event.kind


async def stream(conn: AsyncConnection, name: str, kinds: Sequence[str] = ()) -> list[DomainEvent]:
    """Every event of one stream (``incident:42``), oldest first."""
    query = select(events).where(events.c.stream == name).order_by(events.c.id)
    if kinds:
        query = query.where(events.c.kind.in_(kinds))
    return [load(row) for row in (await conn.execute(query)).all()]

"""Insert a row, or update it where its key exists: one statement on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

if TYPE_CHECKING:
    from chatops.storage.db import Tx


async def upsert(
    tx: Tx, table: Table, row: Mapping[str, Any], key: Sequence[str], update: Mapping[str, Any] | None = None
) -> None:
    """Insert ``row``; where a row with the same ``key`` columns exists, set ``update`` on it instead
    (``update`` None: leave the existing row as it is)."""
    insert = postgresql.insert(table) if tx.conn.dialect.name == "postgresql" else sqlite.insert(table)
    statement = insert.values(**row)
    if update:
        statement = statement.on_conflict_do_update(index_elements=list(key), set_=dict(update))
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    await tx.execute(statement)

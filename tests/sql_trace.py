"""Count the SQL statements a piece of code runs (both of the database's connections)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.db import Database


@asynccontextmanager
async def counting(db: Database) -> AsyncIterator[list[str]]:
    """Collect every statement run inside the block, in order."""
    statements: list[str] = []
    await db.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        await db.set_trace_callback(None)

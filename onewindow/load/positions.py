"""How many events the services appended: their event logs' positions, read before and after."""

from __future__ import annotations

import asyncpg

from eventlog.reading import ServiceLogs
from onewindow.commands.options import SCHEMAS


async def newest_positions(database_url: str) -> dict[str, int]:
    """The newest position of every service's log (0 when empty)."""
    conn = await asyncpg.connect(database_url)
    try:
        return await ServiceLogs(conn, SCHEMAS).heads()
    finally:
        await conn.close()


async def appended_since(database_url: str, before: dict[str, int]) -> dict[str, int]:
    """Events appended to each log after ``before``'s positions. Counted, not subtracted:
    positions come from an identity column, which a rolled-back append leaves a gap in."""
    conn = await asyncpg.connect(database_url)
    try:
        return await ServiceLogs(conn, list(before)).counts_after(before)
    finally:
        await conn.close()

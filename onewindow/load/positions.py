"""How many events the services appended: their event logs' positions, read before and after."""

from __future__ import annotations

import asyncpg

from onewindow.commands.options import SCHEMAS


async def newest_positions(database_url: str) -> dict[str, int]:
    """The newest position of every service's log (0 when empty)."""
    conn = await asyncpg.connect(database_url)
    try:
        return {
            schema: await conn.fetchval(f'SELECT coalesce(max(position), 0) FROM "{schema}".events')
            for schema in SCHEMAS
        }
    finally:
        await conn.close()


async def appended_since(database_url: str, before: dict[str, int]) -> dict[str, int]:
    """Events appended to each log after ``before``'s positions. Counted, not subtracted:
    positions come from an identity column, which a rolled-back append leaves a gap in."""
    conn = await asyncpg.connect(database_url)
    try:
        return {
            schema: await conn.fetchval(
                f'SELECT count(*) FROM "{schema}".events WHERE position > $1', position
            )
            for schema, position in before.items()
        }
    finally:
        await conn.close()

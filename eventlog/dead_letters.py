"""Dead letters: records a consumer could not use, kept whole in its service's schema so
an operator can see why and, after a fix, send them back (`onewindow dead-letters`).

A record is kept once per consumer, however often it is redelivered (the unique source)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from eventlog.store import Connection

Headers = Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class DeadLetter:
    consumer: str
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers
    reason: str
    attempts: int
    event_id: UUID | None = None
    event_type: str | None = None
    id: int | None = None
    dead_lettered_at: datetime | None = None
    replayed_at: datetime | None = None


async def keep(conn: Connection | asyncpg.Pool, letter: DeadLetter) -> bool:
    """Keep `letter`; False if this consumer kept this record already."""
    kept: bool | None = await conn.fetchval(
        'INSERT INTO dead_letters (consumer, topic, partition, "offset", key, value, headers,'
        " event_id, event_type, reason, attempts)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11)"
        " ON CONFLICT DO NOTHING RETURNING true",
        letter.consumer,
        letter.topic,
        letter.partition,
        letter.offset,
        letter.key,
        letter.value,
        _encode(letter.headers),
        letter.event_id,
        letter.event_type,
        letter.reason,
        letter.attempts,
    )
    return bool(kept)


async def listed(
    conn: Connection | asyncpg.Pool, *, replayed: bool = False, limit: int = 100
) -> list[DeadLetter]:
    """The newest dead letters, those not replayed yet unless `replayed`."""
    rows = await conn.fetch(
        "SELECT * FROM dead_letters WHERE $1 OR replayed_at IS NULL ORDER BY id DESC LIMIT $2",
        replayed,
        limit,
    )
    return [_letter(r) for r in rows]


async def chosen(conn: Connection | asyncpg.Pool, ids: Sequence[int]) -> list[DeadLetter]:
    rows = await conn.fetch("SELECT * FROM dead_letters WHERE id = ANY($1) ORDER BY id", ids)
    return [_letter(r) for r in rows]


async def mark_replayed(conn: Connection | asyncpg.Pool, letter_id: int) -> None:
    await conn.execute("UPDATE dead_letters SET replayed_at = now() WHERE id = $1", letter_id)


def _encode(headers: Headers) -> str:
    return json.dumps([[name, base64.b64encode(value).decode()] for name, value in headers])


def _letter(row: asyncpg.Record) -> DeadLetter:
    headers = [(name, base64.b64decode(value)) for name, value in json.loads(row["headers"])]
    return DeadLetter(
        row["consumer"],
        row["topic"],
        row["partition"],
        row["offset"],
        row["key"],
        row["value"],
        headers,
        row["reason"],
        row["attempts"],
        row["event_id"],
        row["event_type"],
        row["id"],
        row["dead_lettered_at"],
        row["replayed_at"],
    )

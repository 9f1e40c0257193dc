"""API keys: shown once when issued, kept only as their sha256."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from typing import cast

import asyncpg

from eventlog.store import Connection
from services.intake.domain.callers import CLIENT_KINDS, Caller, ClientKind

_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def issue_api_key(db: asyncpg.Pool | Connection, client_id: str, kind: str) -> str:
    """A new key for `client_id`; the caller shows it once, only its hash is stored."""
    if kind not in CLIENT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(CLIENT_KINDS)}, not {kind!r}")
    if not _CLIENT_ID.fullmatch(client_id):
        raise ValueError("client_id: 1-100 of letters, digits and . _ : - (starting alphanumeric)")
    key = "ow_" + secrets.token_urlsafe(32)
    await db.execute(
        "INSERT INTO api_keys (key_sha256, client_id, kind) VALUES ($1, $2, $3)",
        key_digest(key),
        client_id,
        kind,
    )
    return key


async def find_caller(db: asyncpg.Pool | Connection, key: str) -> Caller | None:
    row = await db.fetchrow(
        "SELECT client_id, kind FROM api_keys WHERE key_sha256 = $1", key_digest(key)
    )
    return None if row is None else Caller(row["client_id"], cast(ClientKind, row["kind"]))


class KnownCallers:
    """The callers of keys seen lately, so a request does not ask the database who it is
    each time. Keys are never changed once issued (there is no revoking yet); an unknown key
    is never remembered, so a key issued a moment ago works at once."""

    def __init__(self, keep_seconds: float = 60.0) -> None:
        self.keep_seconds = keep_seconds
        self._known: dict[tuple[int, str], tuple[float, Caller]] = {}  # by database, digest

    async def find(self, pool: asyncpg.Pool, key: str) -> Caller | None:
        remembered, now = (id(pool), key_digest(key)), time.monotonic()
        known = self._known.get(remembered)
        if known is not None and now - known[0] < self.keep_seconds:
            return known[1]
        caller = await find_caller(pool, key)
        if caller is not None:
            if len(self._known) >= 10_000:
                self._known.clear()
            self._known[remembered] = (now, caller)
        return caller

"""API keys: shown once when issued, kept only as their sha256."""

from __future__ import annotations

import hashlib
import re
import secrets
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

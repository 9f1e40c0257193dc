"""A service's own schema in PostgreSQL: migrated on start, pooled, asked by /readyz."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from eventlog.migrate import migrate_async
from eventlog.pooling import pooling
from runtime.settings import ServiceSettings
from runtime.startup import with_backoff


async def migrate(settings: ServiceSettings, schema: str, extra: Sequence[Path]) -> None:
    s = settings
    await with_backoff(
        f"PostgreSQL at {_where(s.database_url)}",
        lambda: migrate_async(
            s.migration_database_url or s.database_url,
            schema,
            app_role=_role(s.database_url) if s.migration_database_url else None,
            extra=extra,
        ),
        s.startup_timeout_seconds,
    )


async def open_pool(settings: ServiceSettings, schema: str, name: str) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        settings.database_url,
        **pooling(
            min_size=2,
            max_size=settings.db_pool_size,
            server_settings={"search_path": schema, "application_name": name},
        ),
    )


async def database_answers(pool: asyncpg.Pool) -> bool:
    try:
        async with pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")
        return True
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False


def _where(dsn: str) -> str:
    parts = urlsplit(dsn)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


def _role(dsn: str) -> str | None:
    return urlsplit(dsn).username

"""Schema migrations, run by Alembic at service start or by `onewindow migrate`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

_HERE = Path(__file__).parent / "migrations"


def _config(dsn: str, schema: str, app_role: str | None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes.update(
        url=dsn.replace("postgresql://", "postgresql+asyncpg://", 1).replace(
            "postgres://", "postgresql+asyncpg://", 1
        ),
        schema=schema,
        app_role=app_role,
    )
    return config


def migrate(dsn: str, schema: str, app_role: str | None = None) -> None:
    """Bring `schema` to the newest revision; a no-op when it is there already."""
    command.upgrade(_config(dsn, schema, app_role), "head")


async def migrate_async(dsn: str, schema: str, app_role: str | None = None) -> None:
    # Alembic's env runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(migrate, dsn, schema, app_role)

"""Schema migrations, run by Alembic at service start or by `onewindow migrate`.

Every schema gets the event log (`migrations/versions`); a service with tables of its own
(a read model) passes its own versions directory, whose first revision follows "0001". So the
event log's later revisions ("0002", …) and a service's own ones are branches off "0001", and
a schema is brought to every head.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config

_HERE = Path(__file__).parent / "migrations"


def _config(dsn: str, schema: str, app_role: str | None, extra: Sequence[Path] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations", os.pathsep.join(str(p) for p in (_HERE / "versions", *extra))
    )
    config.attributes.update(
        url=dsn.replace("postgresql://", "postgresql+asyncpg://", 1).replace(
            "postgres://", "postgresql+asyncpg://", 1
        ),
        schema=schema,
        app_role=app_role,
    )
    return config


def migrate(dsn: str, schema: str, app_role: str | None = None, extra: Sequence[Path] = ()) -> None:
    """Bring `schema` to the newest revisions; a no-op when it is there already."""
    command.upgrade(_config(dsn, schema, app_role, extra), "heads")


async def migrate_async(
    dsn: str, schema: str, app_role: str | None = None, extra: Sequence[Path] = ()
) -> None:
    # Alembic's env runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(migrate, dsn, schema, app_role, extra)

"""`onewindow migrate`, `republish` and `rebuild-read-model`: the services' event logs and the
tables around them (their audit: onewindow/commands/audit.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import asyncpg
import typer

from onewindow.commands.options import DEFAULT_DATABASE_URL, SCHEMAS, DatabaseUrl

SERVICES = Path(__file__).parent.parent.parent / "services"


def migrate(
    database_url: Annotated[str, typer.Option(envvar="ONEWINDOW_MIGRATION_DATABASE_URL")] = (
        DEFAULT_DATABASE_URL
    ),
    app_role: Annotated[str | None, typer.Option(help="Role the services log in as.")] = None,
) -> None:
    """Bring every service's schema to the newest revision (services also do it at start)."""
    from eventlog.migrate import migrate as migrate_schema

    for schema in SCHEMAS:
        own = SERVICES / schema / "migrations"
        migrate_schema(database_url, schema, app_role, [own] if own.is_dir() else [])
        typer.echo(f"{schema}: migrated")


def republish(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SCHEMAS)}")],
    from_position: Annotated[int, typer.Option(min=1)],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """After broker data loss: make the service's relay publish again from a log position."""
    from eventlog.relay import rewind

    if service not in SCHEMAS:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SCHEMAS)}")

    async def run() -> None:
        pool = await asyncpg.create_pool(database_url, server_settings={"search_path": service})
        try:
            await rewind(pool, from_position)
        finally:
            await pool.close()

    asyncio.run(run())
    typer.echo(f"{service}: the relay publishes again from position {from_position}")


def rebuild_read_model(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Empty intake's read model and replay every service's event log into it."""
    from services.intake.adapters.rebuild import rebuild_read_model as rebuild

    async def run() -> tuple[int, int]:
        conn = await asyncpg.connect(database_url, server_settings={"search_path": "intake"})
        try:
            return await rebuild(conn, SCHEMAS)
        finally:
            await conn.close()

    read, applied = asyncio.run(run())
    typer.echo(f"intake: read model rebuilt from {read} logged events ({applied} applied)")

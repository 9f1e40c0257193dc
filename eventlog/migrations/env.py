"""Alembic environment: migrates one service's schema, holding an advisory lock so
services starting together never migrate the same schema twice at once."""

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

config = context.config
schema: str = config.attributes["schema"]


def _migrate(connection: Connection) -> None:
    connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": "migrate:" + schema}
    )
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
    context.configure(
        connection=connection,
        version_table_schema=schema,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations(schema=schema, app_role=config.attributes.get("app_role"))


async def _run() -> None:
    engine = create_async_engine(config.attributes["url"])
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_migrate)
    finally:
        await engine.dispose()


asyncio.run(_run())

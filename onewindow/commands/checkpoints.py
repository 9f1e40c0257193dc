"""`onewindow checkpoint` and `checkpoint-key`: signing the services' logs on demand, and the
keys that sign them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import asyncpg
import typer

from onewindow.commands.options import DEFAULT_DATABASE_URL, SCHEMAS, DatabaseUrl

if TYPE_CHECKING:
    from aiokafka import AIOKafkaProducer
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from contracts.checkpoint import SignedCheckpoint
    from runtime.settings import ServiceSettings

Services = Annotated[list[str] | None, typer.Argument(help=f"Some of: {', '.join(SCHEMAS)}")]


def checkpoint(services: Services = None, database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Sign a checkpoint of each service's log now (as the services do every interval), with
    the key and directory of ONEWINDOW_CHECKPOINT_*; publish it if Kafka answers."""
    from runtime.checkpointing import CheckpointConfigError, checkpoint_dir, signing_key
    from runtime.settings import ServiceSettings

    chosen = services or list(SCHEMAS)
    if unknown := sorted(set(chosen) - set(SCHEMAS)):
        raise typer.BadParameter(f"unknown service(s) {unknown}; some of {', '.join(SCHEMAS)}")
    settings = ServiceSettings(database_url=database_url)
    try:
        key, directory = signing_key(settings), checkpoint_dir(settings)
    except (CheckpointConfigError, ValueError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    for line in asyncio.run(_sign_now(settings, chosen, key, directory)):
        typer.echo(line)


async def _sign_now(
    settings: ServiceSettings, services: list[str], key: Ed25519PrivateKey, directory: Path
) -> list[str]:
    from eventlog.checkpoint_file import CheckpointFile
    from eventlog.checkpointer import Checkpointer
    from runtime.checkpointing import kafka_publisher

    lines = []
    async with _producer(settings.kafka_bootstrap_servers) as producer:
        publish = kafka_publisher(producer) if producer else None
        for schema in services:
            pool = await asyncpg.create_pool(
                settings.database_url, server_settings={"search_path": schema}
            )
            try:
                signer = Checkpointer(
                    pool, schema, key, CheckpointFile(directory, schema), publish=publish
                )
                signed = await signer.checkpoint(wait=30)
            finally:
                await pool.close()
            published = publish is not None and not signer.unpublished
            lines.append(_signed_line(schema, signed, published))
    return lines


@asynccontextmanager
async def _producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer | None]:
    """A producer if Kafka answers within 10 s, else None: the file is the record."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        await asyncio.wait_for(producer.start(), 10)
    except (KafkaError, OSError, TimeoutError) as exc:
        typer.secho(f"Kafka at {bootstrap} does not answer ({exc}); not publishing", err=True)
        await producer.stop()
        yield None
        return
    try:
        yield producer
    finally:
        await producer.stop()


def _signed_line(schema: str, signed: list[SignedCheckpoint], published: bool) -> str:
    if not signed:
        return f"{schema}: nothing new since the last checkpoint"
    latest = signed[-1]
    where = "written and published" if published else "written, NOT published to Kafka"
    return (
        f"{schema}: checkpoint #{latest.seq} signed, {latest.tree_size} event(s) up to position "
        f"{latest.position}; {where}"
    )


def checkpoint_key(
    private_file: Annotated[Path, typer.Argument(help="Where the new private key goes (0600).")],
) -> None:
    """Make a new Ed25519 signing key for checkpoints, and its public key at FILE.pub."""
    from eventlog.signing import generate_key_pair

    try:
        public_file = generate_key_pair(private_file)
    except FileExistsError:
        typer.secho(f"error: {private_file} exists; a key is never overwritten", fg="red", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"private key: {private_file}  (ONEWINDOW_CHECKPOINT_KEY_FILE of the services)")
    typer.echo(f"public key:  {public_file}  (ONEWINDOW_CHECKPOINT_PUBLIC_KEY_FILE of verify)")

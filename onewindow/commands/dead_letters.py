"""`onewindow dead-letters list | replay`: the records consumers could not use, and sending
them back once the cause is fixed."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

import asyncpg
import typer

from eventlog import dead_letters
from onewindow.commands.options import DEFAULT_DATABASE_URL, SCHEMAS, DatabaseUrl

app = typer.Typer(
    help="Records a consumer could not use: list them, send them back.", no_args_is_help=True
)
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
KafkaServers = Annotated[str, typer.Option(envvar="ONEWINDOW_KAFKA_BOOTSTRAP_SERVERS")]
Services = Annotated[
    list[str] | None, typer.Option("--service", help=f"One of: {', '.join(SCHEMAS)}; default all")
]


@app.command("list")
def list_dead_letters(
    service: Services = None,
    replayed: Annotated[bool, typer.Option(help="Also those already sent back.")] = False,
    limit: Annotated[int, typer.Option(min=1)] = 100,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """The newest dead letters of each service: id, consumer, source, event, attempts, reason."""

    async def run() -> int:
        shown = 0
        for schema in _chosen(service):
            conn = await _connect(database_url, schema)
            try:
                letters = await dead_letters.listed(conn, replayed=replayed, limit=limit)
            finally:
                await conn.close()
            for letter in letters:
                shown += 1
                when = f"{letter.dead_lettered_at:%Y-%m-%d %H:%M:%S}"
                event = f"{letter.event_type or '-'} {letter.event_id or ''}".strip()
                again = (
                    f" replayed {letter.replayed_at:%Y-%m-%d %H:%M:%S}"
                    if letter.replayed_at
                    else ""
                )
                typer.echo(
                    f"{schema} #{letter.id} {when} {letter.consumer}"
                    f" {letter.topic}/{letter.partition}/{letter.offset} {event}"
                    f" attempts={letter.attempts}{again}\n    {letter.reason}"
                )
        return shown

    if asyncio.run(run()) == 0:
        typer.echo("no dead letters")


@app.command("replay")
def replay(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SCHEMAS)}")],
    ids: Annotated[list[int] | None, typer.Argument(help="Dead letters to send back")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every one not sent back yet.")] = False,
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    kafka: KafkaServers = "127.0.0.1:19092",
) -> None:
    """Send dead letters back to the topic they came from, after the cause is fixed: the
    consumer that gave up on them handles them anew; every other consumer's inbox drops
    the repeat."""
    _chosen([service])
    if not ids and not every:
        raise typer.BadParameter("name dead letters by id, or give --all")

    async def run() -> int:
        from aiokafka import AIOKafkaProducer

        conn = await _connect(database_url, service)
        producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
        await producer.start()
        try:
            chosen = (
                await dead_letters.listed(conn, limit=1_000_000)
                if every
                else await dead_letters.chosen(conn, ids or [])
            )
            for letter in chosen:
                assert letter.id is not None
                await producer.send_and_wait(
                    letter.topic, letter.value, key=letter.key, headers=list(letter.headers)
                )
                await dead_letters.mark_replayed(conn, letter.id)
                typer.echo(f"{service} #{letter.id}: sent back to {letter.topic}")
            return len(chosen)
        finally:
            await producer.stop()
            await conn.close()

    sent = asyncio.run(run())
    typer.echo(f"{sent} dead letter(s) sent back")


def _chosen(services: list[str] | None) -> list[str]:
    """The services' schemas named (a service may run in a schema of another name)."""
    bad = [s for s in services or () if not SCHEMA_NAME.fullmatch(s)]
    if bad:
        raise typer.BadParameter(f"not a service's schema: {', '.join(bad)}")
    return list(services or SCHEMAS)


async def _connect(database_url: str, schema: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url, server_settings={"search_path": schema})

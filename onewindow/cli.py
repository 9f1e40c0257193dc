"""The `onewindow` command: run the local stack, benchmark, check the logs."""

from __future__ import annotations

import asyncio
import json
import signal
import tempfile
from pathlib import Path
from typing import Annotated

import asyncpg
import typer

from onewindow.embedded import free_port
from onewindow.stack import Stack

app = typer.Typer(
    help="OneWindow: one application, every department, one result.", no_args_is_help=True
)
bench_app = typer.Typer(help="Measure the parts of the system.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")

SCHEMAS = ("intake", "router", "dept_adapter", "notifier")
DatabaseUrl = Annotated[str, typer.Option(envvar="ONEWINDOW_DATABASE_URL")]
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:55432/onewindow"


@app.command()
def up() -> None:
    """Start PostgreSQL, the broker and every service; stop them all on Ctrl-C."""
    stack = Stack()
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        typer.echo("starting PostgreSQL and the broker ...")
        stack.start_infrastructure()
        typer.echo("starting services ...")
        stack.start_services()
        stack.wait_ready()
        typer.echo(_where(stack))
        typer.echo("OneWindow is up. Ctrl-C stops everything.")
        signal.pause()
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    finally:
        typer.echo("stopping ...")
        stack.stop()
        typer.echo("stopped.")


@app.command()
def down() -> None:
    """Stop what `onewindow up` started, also when it was left running."""
    Stack().stop_all_recorded()
    typer.echo("stopped.")


@app.command()
def verify(database_url: DatabaseUrl = DEFAULT_DATABASE_URL) -> None:
    """Check every service's hash chains; exit 1 if an event was altered or removed."""
    from eventlog.verify import verify as verify_schema

    async def run() -> int:
        broken = 0
        for schema in SCHEMAS:
            pool = await asyncpg.create_pool(database_url, server_settings={"search_path": schema})
            try:
                found = await verify_schema(pool)
            finally:
                await pool.close()
            for tampering in found:
                typer.echo(f"{schema}: {tampering}")
            broken += len(found)
            typer.echo(f"{schema}: {'intact' if not found else f'{len(found)} problem(s)'}")
        return broken

    if asyncio.run(run()):
        raise typer.Exit(1)


@app.command()
def migrate(
    database_url: Annotated[str, typer.Option(envvar="ONEWINDOW_MIGRATION_DATABASE_URL")] = (
        DEFAULT_DATABASE_URL
    ),
    app_role: Annotated[str | None, typer.Option(help="Role the services log in as.")] = None,
) -> None:
    """Bring every service's schema to the newest revision (services also do it at start)."""
    from eventlog.migrate import migrate as migrate_schema

    for schema in SCHEMAS:
        migrate_schema(database_url, schema, app_role)
        typer.echo(f"{schema}: migrated")


@app.command()
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


@bench_app.command("eventlog")
def bench_eventlog(
    batched: int = 100_000,
    single: int = 4000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Appended events/s (single and batched) and relayed events/s on the embedded stack."""
    from onewindow.bench import as_dict, as_table
    from onewindow.bench import bench_eventlog as run_bench

    with tempfile.TemporaryDirectory(prefix="onewindow-bench-") as tmp:
        stack = Stack(root=Path(tmp), pg_port=free_port(), kafka_port=free_port())
        try:
            stack.start_infrastructure()
            figures = asyncio.run(
                run_bench(stack.database_url, stack.kafka, single=single, batched=batched)
            )
        finally:
            stack.stop()
    typer.echo(
        json.dumps(as_dict(figures))
        if as_json
        else as_table(figures) + "\n" + json.dumps(as_dict(figures))
    )


def _where(stack: Stack) -> str:
    lines = [f"  PostgreSQL   {stack.database_url}", f"  Kafka        {stack.kafka}"]
    for name, port in stack.ports.items():
        lines.append(f"  {name:<12} http://127.0.0.1:{port}  (logs: {stack.root}/logs/{name}.log)")
    lines.append(f"  API docs     http://127.0.0.1:{stack.ports['intake']}/docs")
    return "\n".join(lines)

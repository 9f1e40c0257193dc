"""The `onewindow` command: run the local stack, benchmark, check the logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import typer

from onewindow.embedded import free_port
from onewindow.stack import Stack, ops_password

app = typer.Typer(
    help="OneWindow: one application, every department, one result.", no_args_is_help=True
)
bench_app = typer.Typer(help="Measure the parts of the system.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
api_key_app = typer.Typer(help="API keys of intake's front-end clients.", no_args_is_help=True)
app.add_typer(api_key_app, name="api-key")
contracts_app = typer.Typer(
    help="The published contracts: JSON Schema and AsyncAPI under contracts/.",
    no_args_is_help=True,
)
app.add_typer(contracts_app, name="contracts")

SCHEMAS = ("intake", "router", "dept_adapter", "notifier")
DatabaseUrl = Annotated[str, typer.Option(envvar="ONEWINDOW_DATABASE_URL")]
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:55432/onewindow"


@app.command()
def up() -> None:
    """Start PostgreSQL, the broker, every service and the legacy systems; Ctrl-C stops them."""
    with _running(Stack()) as stack:
        typer.echo(_where(stack))
        typer.echo("OneWindow is up. Ctrl-C stops everything.")
        signal.pause()


@app.command()
def demo(
    stay: Annotated[bool, typer.Option(help="Keep the system running afterwards.")] = False,
) -> None:
    """Submit one application of every matter and watch it to its one result.

    Uses the running system if `onewindow up` is up, else starts one (and stops it after,
    unless --stay). Exit 0 only if every application ended approved and was delivered.
    """
    from rich.console import Console

    from onewindow.demo import run_demo

    stack = Stack()
    if stack.service_ready(stack.ports["intake"]):
        stack.database_url = os.environ.get("ONEWINDOW_DATABASE_URL", DEFAULT_DATABASE_URL)
        ok = asyncio.run(_demo(stack, run_demo, Console()))
        raise typer.Exit(0 if ok else 1)
    with _running(stack):
        ok = asyncio.run(_demo(stack, run_demo, Console()))
        typer.secho(
            "every application ended as expected"
            if ok
            else "NOT every application ended as expected",
            fg="green" if ok else "red",
        )
        if stay:
            typer.echo(_where(stack))
            typer.echo("OneWindow stays up. Ctrl-C stops everything.")
            signal.pause()
    raise typer.Exit(0 if ok else 1)


async def _demo(stack: Stack, run_demo: Any, console: Any) -> bool:
    from services.notifier.settings import NotifierSettings

    secret = NotifierSettings().webhook_secret.get_secret_value()
    ok: bool = await run_demo(
        stack.url("intake"), stack.url("legacy_sim"), stack.database_url, secret, console
    )
    return ok


@contextmanager
def _running(stack: Stack) -> Iterator[Stack]:
    """The stack started; stopped on leaving, on Ctrl-C and on SIGTERM."""

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        typer.echo("starting PostgreSQL and the broker ...")
        stack.start_infrastructure()
        typer.echo("starting services and the legacy systems' stand-ins ...")
        stack.start_services()
        stack.wait_ready()
        yield stack
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
        own = Path(__file__).parent.parent / "services" / schema / "migrations"
        migrate_schema(database_url, schema, app_role, [own] if own.is_dir() else [])
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


@api_key_app.command("issue")
def api_key_issue(
    client_id: Annotated[str, typer.Argument(help="The client, e.g. hall-3-window-12.")],
    kind: Annotated[str, typer.Option(help="window | web | mobile | kiosk | clerk")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """Issue an API key; it is printed once, intake keeps only its sha256."""
    from services.intake.adapters import issue_api_key

    async def run() -> str:
        conn = await asyncpg.connect(database_url, server_settings={"search_path": "intake"})
        try:
            return await issue_api_key(conn, client_id, kind)
        finally:
            await conn.close()

    try:
        key = asyncio.run(run())
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    except asyncpg.UndefinedTableError:
        typer.secho("error: intake's tables are missing; start intake once", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(key)
    typer.echo(f"({kind} key of {client_id}: shown once, keep it now)", err=True)


@app.command("rebuild-read-model")
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


@app.command()
def stats(
    first: Annotated[str, typer.Option("--from", help="First local day, YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="Last local day (inclusive), YYYY-MM-DD.")],
    matter: Annotated[str | None, typer.Option(help="Only this matter's applications.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table.")] = False,
    schema: Annotated[str, typer.Option(help="intake's schema.", hidden=True)] = "intake",
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
) -> None:
    """The reform's measures over applications decided from --from to --to (docs/statistics.md)."""
    from contracts.calendar import load_calendar
    from contracts.catalog import UnknownMatter, load_catalog
    from services.intake.adapters.statistics import statistics
    from services.intake.domain.stats_report import as_text

    period = (_day("--from", first), _day("--to", last))
    if period[1] < period[0]:
        raise typer.BadParameter(f"--to {last} is before --from {first}")
    catalog = load_catalog()
    try:
        if matter:
            catalog.matter(matter)
    except UnknownMatter as exc:
        raise typer.BadParameter(str(exc), param_hint="--matter") from None

    async def run() -> Any:
        conn = await asyncpg.connect(database_url, server_settings={"search_path": schema})
        try:
            return await statistics(conn, catalog, load_calendar(), period, matter)
        finally:
            await conn.close()

    try:
        report = asyncio.run(run())
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        typer.secho("error: intake's read model is missing or old; start intake once", fg="red",
                    err=True)  # fmt: skip
        raise typer.Exit(1) from None
    typer.echo(report.model_dump_json(indent=2) if as_json else as_text(report))


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from None


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


def published_services() -> list[Any]:
    """Every service as its bootstrap builds it, with default settings (the environment is
    not read, so the documents do not depend on it); nothing connects anywhere."""
    from services.dept_adapter.bootstrap import DeptAdapterSettings
    from services.dept_adapter.bootstrap import build as dept_adapter
    from services.intake.bootstrap import IntakeSettings
    from services.intake.bootstrap import build as intake
    from services.notifier.bootstrap import NotifierSettings
    from services.notifier.bootstrap import build as notifier
    from services.router.bootstrap import RouterSettings
    from services.router.bootstrap import build as router

    return [
        intake(IntakeSettings.model_construct()),
        router(RouterSettings.model_construct()),
        dept_adapter(DeptAdapterSettings.model_construct()),
        notifier(NotifierSettings.model_construct()),
    ]


ContractsRoot = Annotated[
    Path | None,
    typer.Option(help="Directory holding schemas/ and asyncapi/; default: the contracts package."),
]


@contracts_app.command("generate")
def contracts_generate(root: ContractsRoot = None) -> None:
    """Write contracts/schemas/ and contracts/asyncapi/ from the code."""
    from contracts.publish import CONTRACTS, render, write

    changed = write(root or CONTRACTS, render(published_services()))
    for path in changed:
        typer.echo(f"wrote {path}")
    typer.echo(f"{len(changed)} file(s) changed" if changed else "contracts are up to date")


@contracts_app.command("check")
def contracts_check(root: ContractsRoot = None) -> None:
    """Exit 1, listing them, if the checked-in contracts differ from what the code generates."""
    from contracts.publish import CONTRACTS, differences, render

    stale = differences(root or CONTRACTS, render(published_services()))
    for path in stale:
        typer.echo(f"differs: {path}")
    if stale:
        typer.secho("run `onewindow contracts generate`", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo("contracts are up to date")


def _where(stack: Stack) -> str:
    lines = [f"  PostgreSQL   {stack.database_url}", f"  Kafka        {stack.kafka}"]
    for name in stack.processes:
        logs = f"{stack.root}/logs/{name}.log"
        lines.append(f"  {name:<12} {stack.url(name)}  (logs: {logs})")
    lines.append(f"  SMTP relay   127.0.0.1:{stack.ports['smtp']}  (stand-in, legacy_sim)")
    lines.append(f"  API docs     {stack.url('intake')}/docs")
    lines.append(f"  ops console  {stack.url('intake')}/ops  (user ops, password {ops_password()})")
    return "\n".join(lines)

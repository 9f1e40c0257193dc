"""`onewindow stats`: the reform's measures, read from intake's read model."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

import asyncpg
import typer

from onewindow.commands.options import DEFAULT_DATABASE_URL, DatabaseUrl


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
        typer.secho(
            "error: intake's read model is missing or old; start intake once", fg="red", err=True
        )
        raise typer.Exit(1) from None
    typer.echo(report.model_dump_json(indent=2) if as_json else as_text(report))


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from None

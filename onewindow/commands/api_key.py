"""`onewindow api-key ...`: API keys of intake's front-end clients."""

from __future__ import annotations

import asyncio
from typing import Annotated

import asyncpg
import typer

from onewindow.commands.options import DEFAULT_DATABASE_URL, DatabaseUrl

app = typer.Typer(help="API keys of intake's front-end clients.", no_args_is_help=True)


@app.command("issue")
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

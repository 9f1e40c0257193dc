"""`onewindow contracts ...`: the published JSON Schema and AsyncAPI documents under contracts/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="The published contracts: JSON Schema and AsyncAPI under contracts/.",
    no_args_is_help=True,
)

ContractsRoot = Annotated[
    Path | None,
    typer.Option(help="Directory holding schemas/ and asyncapi/; default: the contracts package."),
]


def published_services() -> list[Any]:
    """Every service as its bootstrap builds it, with default settings (the environment is
    not read, so the documents do not depend on it); nothing connects anywhere."""
    from services.dept_adapter.bootstrap import DeptAdapterSettings
    from services.dept_adapter.bootstrap import build as dept_adapter
    from services.intake.bootstrap import IntakeSettings
    from services.intake.bootstrap import build as intake
    from services.notifier.bootstrap import NotifierSettings
    from services.notifier.bootstrap import build as notifier
    from services.router.bootstrap import build as router
    from services.router.settings import RouterSettings

    return [
        intake(IntakeSettings.model_construct()),
        router(RouterSettings.model_construct()),
        dept_adapter(DeptAdapterSettings.model_construct()),
        notifier(NotifierSettings.model_construct()),
    ]


@app.command("generate")
def contracts_generate(root: ContractsRoot = None) -> None:
    """Write contracts/schemas/ and contracts/asyncapi/ from the code."""
    from contracts.publish import CONTRACTS, render, write

    changed = write(root or CONTRACTS, render(published_services()))
    for path in changed:
        typer.echo(f"wrote {path}")
    typer.echo(f"{len(changed)} file(s) changed" if changed else "contracts are up to date")


@app.command("check")
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

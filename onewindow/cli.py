"""The `onewindow` command: run the local stack, benchmark, check the logs.

Each group of commands lives in onewindow/commands/; this module puts them on the one app
(the console script `onewindow` is `onewindow.cli:app`).
"""

from __future__ import annotations

import typer

from onewindow.commands import (
    api_key,
    audit,
    bench,
    chaos,
    checkpoints,
    contracts,
    dead_letters,
    logs,
    stack,
    stats,
)

app = typer.Typer(
    help="OneWindow: one application, every department, one result.", no_args_is_help=True
)
app.add_typer(bench.app, name="bench")
app.add_typer(api_key.app, name="api-key")
app.add_typer(contracts.app, name="contracts")
app.add_typer(dead_letters.app, name="dead-letters")

app.command()(stack.up)
app.command()(stack.demo)
app.command()(stack.down)
app.command()(audit.verify)
app.command()(checkpoints.checkpoint)
app.command("checkpoint-key")(checkpoints.checkpoint_key)
app.command()(logs.migrate)
app.command()(logs.republish)
app.command("rebuild-read-model")(logs.rebuild_read_model)
app.command()(stats.stats)
app.command()(chaos.chaos)

"""`onewindow bench ...`: measure the parts of the system on a throw-away embedded stack."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from onewindow.embedded.ports import free_port
from onewindow.stack import Stack

app = typer.Typer(help="Measure the parts of the system.", no_args_is_help=True)


@app.command("eventlog")
def bench_eventlog(
    batched: int = 100_000,
    single: int = 4000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Appended events/s (single and batched), relayed and checkpointed events/s on the
    embedded stack."""
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

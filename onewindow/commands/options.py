"""What several commands share: the services' schemas and the database they live in, and how
many replicas a local stack runs."""

from __future__ import annotations

from typing import Annotated

import typer

SCHEMAS = ("intake", "router", "dept_adapter", "notifier")
DatabaseUrl = Annotated[str, typer.Option(envvar="ONEWINDOW_DATABASE_URL")]
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:55432/onewindow"
Replicas = Annotated[
    int,
    typer.Option(
        min=1,
        help="Processes of each of router, dept_adapter and notifier (docs/operations.md).",
    ),
]

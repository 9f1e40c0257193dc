"""What the load commands (`bench flow`, `chaos`) share on the command line: the mix and the
pace, parsed into clear errors, and a stack of their own, started and stopped."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from contracts.catalog import load_catalog
from onewindow.load.mix import MixError, parse_mix
from onewindow.load.pacing import Pace

if TYPE_CHECKING:
    from onewindow.load.control import StackControl
    from onewindow.load.session import Target


def mix_option(spec: str) -> dict[str, int]:
    try:
        return parse_mix(spec, list(load_catalog().matters))
    except MixError as exc:
        raise typer.BadParameter(str(exc), param_hint="--mix") from None


def pace_option(text: str) -> Pace:
    try:
        return Pace.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--rate") from None


@contextmanager
def own_stack_started(
    workdir: Path | None,
    prefix: str,
    extra_env: Callable[[Path], dict[str, str]],
    replicas: int = 1,
) -> Iterator[tuple[StackControl, Target]]:
    """A stack of the command's own under ``workdir`` (kept) or a temporary folder, with
    ``replicas`` of each service that may have several, its notifier signing with a secret made
    for the run; a failed start exits 1 with its cause."""
    from onewindow.load.control import own_stack
    from onewindow.load.session import Target

    with ExitStack() as keep:
        root = workdir or Path(keep.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
        root = root.absolute()
        env = {"ONEWINDOW_WEBHOOK_SECRET": secrets.token_urlsafe(24), **extra_env(root)}
        typer.echo(f"starting a stack of its own under {root} ...", err=True)
        try:
            control = keep.enter_context(own_stack(root, env, replicas))
        except RuntimeError as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(1) from None
        yield control, Target.of(control.stack, env["ONEWINDOW_WEBHOOK_SECRET"])
        typer.echo("stopping the stack ...", err=True)

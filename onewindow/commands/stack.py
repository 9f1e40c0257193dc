"""`onewindow up`, `demo` and `down`: the whole local system, started and stopped."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from onewindow.commands.options import DEFAULT_DATABASE_URL, Replicas
from onewindow.stack import WEBHOOK_RECEIVER, Stack, local_parts, ops_password


def up(replicas: Replicas = 1) -> None:
    """Start PostgreSQL, the broker, every service and the legacy systems; Ctrl-C stops them."""
    with _running(Stack(ports=local_parts(replicas))) as stack:
        typer.echo(_where(stack))
        typer.echo("OneWindow is up. Ctrl-C stops everything.")
        signal.pause()


def demo(
    stay: Annotated[bool, typer.Option(help="Keep the system running afterwards.")] = False,
    replicas: Replicas = 1,
) -> None:
    """Submit one application of every matter and watch it to its one result.

    Uses the running system if `onewindow up` is up, else starts one (and stops it after,
    unless --stay). Exit 0 only if every application ended approved and was delivered.
    """
    from rich.console import Console

    from onewindow.demo import run_demo

    stack = Stack(ports=local_parts(replicas))
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
    from onewindow.webhook import WebhookReceiver
    from services.notifier.settings import NotifierSettings

    secret = NotifierSettings().webhook_secret.get_secret_value()
    receiver = WebhookReceiver(secret, port=stack.ports[WEBHOOK_RECEIVER])
    ok: bool = await run_demo(stack.url("intake"), stack.database_url, receiver, console)
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


def down() -> None:
    """Stop what `onewindow up` started, also when it was left running."""
    Stack().stop_all_recorded()
    typer.echo("stopped.")


def _where(stack: Stack) -> str:
    lines = [f"  PostgreSQL   {stack.database_url}", f"  Kafka        {stack.kafka}"]
    for name in stack.processes:
        logs = f"{stack.root}/logs/{name}.log"
        lines.append(f"  {name:<12} {stack.url(name)}  (logs: {logs})")
    lines.append(f"  SMTP relay   127.0.0.1:{stack.ports['smtp']}  (stand-in, legacy_sim)")
    receiver = stack.ports[WEBHOOK_RECEIVER]
    lines.append(f"  webhooks     127.0.0.1:{receiver}  (the demo applicant's; the one admitted)")
    lines.append(f"  API docs     {stack.url('intake')}/docs")
    lines.append(f"  ops console  {stack.url('intake')}/ops  (user ops, password {ops_password()})")
    checkpoints = stack.checkpoint_wiring()
    if "ONEWINDOW_CHECKPOINT_DIR" in checkpoints:
        lines.append(f"  checkpoints  {checkpoints['ONEWINDOW_CHECKPOINT_DIR']}")
    if "ONEWINDOW_CHECKPOINT_KEY_FILE" in checkpoints:
        public = checkpoints["ONEWINDOW_CHECKPOINT_KEY_FILE"] + ".pub"
        lines.append(
            f"  audit        ONEWINDOW_CHECKPOINT_PUBLIC_KEY_FILE={public} onewindow verify"
        )
    return "\n".join(lines)

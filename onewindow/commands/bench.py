"""`onewindow bench ...`: measure the parts of the system on a throw-away embedded stack."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from onewindow.commands.load_options import mix_option, own_stack_started, pace_option
from onewindow.commands.options import DEFAULT_DATABASE_URL, Replicas
from onewindow.embedded.ports import free_port
from onewindow.stack import LOCAL_PARTS, Stack, home

app = typer.Typer(help="Measure the parts of the system.", no_args_is_help=True)

Mix = Annotated[
    str, typer.Option(help="A matter, 'all', or weights: business-startup=3,newborn=1.")
]
Concurrency = Annotated[int, typer.Option(min=1, help="Submissions under way at most.")]
JsonPath = Annotated[Path | None, typer.Option("--json", help="Write the figures.")]
Workdir = Annotated[
    Path | None, typer.Option(help="Keep the own stack's data and logs here (default: temp).")
]


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


@app.command("flow")
def bench_flow(
    applications: Annotated[int, typer.Option(min=1, help="How many to offer.")] = 1000,
    mix: Mix = "business-startup",
    rate: Annotated[
        str, typer.Option(help="Applications offered per second, or 'max' (as fast as accepted).")
    ] = "20",
    concurrency: Concurrency = 64,
    legacy_latency: Annotated[
        Literal["default", "zero"],
        typer.Option(help="zero: the legacy stand-ins answer at once (the throughput figure)."),
    ] = "default",
    timeout: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for the last results after offering.")
    ] = 300,
    json_path: JsonPath = None,
    plot: Annotated[Path | None, typer.Option(help="Write a PNG of latency and rates.")] = None,
    workdir: Workdir = None,
    replicas: Replicas = 1,
    target: Annotated[
        str | None,
        typer.Option(help="Load a running system: intake's URL, e.g. http://127.0.0.1:8001."),
    ] = None,
    database_url: Annotated[
        str, typer.Option(envvar="ONEWINDOW_DATABASE_URL", help="With --target: its database.")
    ] = DEFAULT_DATABASE_URL,
    legacy_url: Annotated[
        str, typer.Option(help="With --target: its legacy_sim.")
    ] = f"http://127.0.0.1:{LOCAL_PARTS['legacy_sim']}",
    target_home: Annotated[
        Path | None,
        typer.Option(help="With --target: its pid files' folder (ONEWINDOW_HOME), for CPU time."),
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(envvar="ONEWINDOW_WEBHOOK_SECRET", help="With --target: its notifier's."),
    ] = None,
) -> None:
    """Offer applications at a pace and measure accepted/s, one results/s, events/s, latency
    and CPU per application of every process (docs/benchmarks.md)."""
    from onewindow.load.flow import run
    from onewindow.load.flow_report import FlowSetup, as_dict, as_table
    from onewindow.load.plot import plot_flow

    weights, pace = mix_option(mix), pace_option(rate)
    if target and replicas != 1:
        raise typer.BadParameter("is for the own stack, not a --target", param_hint="--replicas")
    setup = FlowSetup(
        applications,
        weights,
        str(pace),
        concurrency,
        legacy_latency,
        replicas=None if target else replicas,
    )
    with _flow_target(
        target, workdir, database_url, legacy_url, target_home, webhook_secret, replicas
    ) as reached:
        flow = run(reached, setup, pace, timeout)
    figures = as_dict(flow.figures)
    typer.echo(as_table(flow.figures))
    if json_path:
        json_path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        typer.echo(f"figures: {json_path}")
    if plot:
        title = f"bench flow: {applications} × {mix} at {pace}, legacy latency {legacy_latency}"
        plot_flow(plot, flow.offers, flow.arrivals, title)
        typer.echo(f"plot: {plot}")
    if flow.figures.missing or flow.figures.refused:
        typer.secho("not every application was accepted and answered", fg="red", err=True)
        raise typer.Exit(1)


@contextmanager
def _flow_target(
    target: str | None, workdir: Path | None, database_url: str, legacy_url: str,
    target_home: Path | None, webhook_secret: str | None, replicas: int,
) -> Iterator[Any]:  # fmt: skip
    from onewindow.load.session import Target

    if target:
        if not _ready(target):
            raise typer.BadParameter(f"no ready intake at {target}", param_hint="--target")
        from services.notifier.settings import NotifierSettings

        secret = webhook_secret or NotifierSettings().webhook_secret.get_secret_value()
        yield Target(target.rstrip("/"), database_url, legacy_url, secret, target_home or home())
        return
    with own_stack_started(workdir, "onewindow-flow-", lambda _: {}, replicas) as (_, reached):
        yield reached


def _ready(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url.rstrip('/')}/readyz", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


@app.command("intake")
def bench_intake(
    applications: Annotated[int, typer.Option(min=1, help="How many to submit.")] = 3000,
    mix: Mix = "business-startup",
    concurrency: Concurrency = 64,
    json_path: JsonPath = None,
    workdir: Workdir = None,
) -> None:
    """Intake alone, on a stack of its own with the rest of the flow stopped: submissions
    accepted per second as fast as it answers, submit → 202 latency and CPU per submission
    (docs/benchmarks.md)."""
    from dataclasses import asdict

    from onewindow.load.intake_alone import as_table, run

    weights = mix_option(mix)
    with own_stack_started(workdir, "onewindow-intake-", lambda _: {}) as (control, reached):
        for name in ("router", "dept_adapter", "notifier"):
            control.stack.kill_service(name)
        figures = run(reached, applications, weights, concurrency)
    typer.echo(as_table(figures))
    if json_path:
        json_path.write_text(json.dumps(asdict(figures), indent=2) + "\n", encoding="utf-8")
        typer.echo(f"figures: {json_path}")
    if figures.refused or figures.accepted < figures.applications:
        typer.secho("not every submission was accepted", fg="red", err=True)
        raise typer.Exit(1)

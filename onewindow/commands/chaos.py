"""`onewindow chaos`: file applications on a stack of its own while its parts fail."""

from __future__ import annotations

import json
import random
from functools import partial
from pathlib import Path
from typing import Annotated, Literal

import typer
import uvloop

from onewindow.commands.load_options import mix_option, own_stack_started, pace_option
from onewindow.commands.options import Replicas

# Each size's defaults; an option given on the command line wins.
SIZES: dict[str, dict[str, float]] = {
    # every fault kind once, each service killed once, in under 3 minutes: the adapter's
    # breaker stays open 5 s, not 30, so a department's bad spell costs less waiting
    "small": {"applications": 60, "rate": 2, "kill_every": 4, "settle_timeout": 90,
              "breaker_open_seconds": 5},
    "default": {"applications": 1000, "rate": 5, "kill_every": 5, "settle_timeout": 300},
}  # fmt: skip


def chaos(
    size: Annotated[
        Literal["small", "default"],
        typer.Option(help="small: 60 at 2/s, a fault every 4 s; default: 1,000 at 5/s, every 5 s."),
    ] = ("default"),
    applications: Annotated[
        int | None, typer.Option(min=1, help="How many (small: 60, default: 1,000).")
    ] = None,
    rate: Annotated[str | None, typer.Option(help="Offered per second (2 / 5).")] = None,
    kill_every: Annotated[
        float | None, typer.Option(min=0.5, help="Seconds between faults (4 / 5).")
    ] = None,
    settle_timeout: Annotated[
        float | None,
        typer.Option(min=1, help="Seconds after the last offer for retries and results (90/300)."),
    ] = None,
    faults: Annotated[str, typer.Option(help="Fault kinds: kill,postgres,broker.")] = (
        "kill,postgres,broker"
    ),
    error_rate: Annotated[float, typer.Option(min=0, max=1, help="Legacy errors.")] = 0.2,
    timeout_rate: Annotated[float, typer.Option(min=0, max=1, help="Legacy stalls.")] = 0.05,
    mix: Annotated[str, typer.Option(help="'all', a matter, or weights as in bench flow.")] = "all",
    breaker_open_seconds: Annotated[
        float | None,
        typer.Option(min=0, help="The adapter's breaker's open time (small: 5; default: as set)."),
    ] = None,
    replicas: Replicas = 1,
    victims: Annotated[
        str | None,
        typer.Option(help="Processes to kill, e.g. router-2,notifier (default: every service's)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Of the fault plan; default: random.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report.")] = None,
    workdir: Annotated[
        Path | None, typer.Option(help="Keep the stack's data and logs here (default: temp).")
    ] = None,
) -> None:
    """Kill services, lose the broker's data, crash PostgreSQL and make every legacy system
    err and stall while applications are filed; exit 1 if one was lost or done twice."""
    from rich.console import Console

    from onewindow.load.chaos import ChaosSetup, run_chaos, stack_env
    from onewindow.load.chaos_report import as_dict, as_table
    from onewindow.load.faults import PlanError

    preset = SIZES[size]
    pace = pace_option(rate) if rate else None
    if pace is not None and pace.rate is None:
        raise typer.BadParameter("chaos files at a steady rate, not 'max'", param_hint="--rate")
    setup = ChaosSetup(
        applications=applications or int(preset["applications"]),
        rate=pace.rate if pace and pace.rate else preset["rate"],
        kill_every=kill_every or preset["kill_every"],
        settle_timeout=settle_timeout or preset["settle_timeout"],
        faults=frozenset(k.strip() for k in faults.split(",") if k.strip()),
        error_rate=error_rate,
        timeout_rate=timeout_rate,
        mix=mix_option(mix),
        seed=seed if seed is not None else random.randrange(1_000_000),
        breaker_open_seconds=breaker_open_seconds
        if breaker_open_seconds is not None
        else preset.get("breaker_open_seconds"),
        replicas=replicas,
        victims=tuple(v.strip() for v in (victims or "").split(",") if v.strip()),
    )
    try:
        plan = setup.plan()
    except PlanError as exc:
        raise typer.BadParameter(str(exc)) from None
    console = Console(stderr=True)
    console.log(f"seed {setup.seed}; faults: "
                + ", ".join(f"{f.kind} {f.target} at {f.at:g} s" for f in plan))  # fmt: skip
    extra_env = partial(stack_env, setup)
    with own_stack_started(workdir, "onewindow-chaos-", extra_env, replicas) as (control, target):
        report = uvloop.run(run_chaos(control, target, setup, console))
    typer.echo(as_table(report))
    if json_path:
        body = {"setup": {**setup.__dict__, "faults": sorted(setup.faults)}, **as_dict(report)}
        json_path.write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")
    if report.failures:
        raise typer.Exit(1)

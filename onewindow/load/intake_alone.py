"""`onewindow bench intake`: intake alone accepting submissions — the router, dept_adapter and
the notifier stopped, so nothing else of the flow shares the machine — as fast as it answers:
accepted/s, submit → 202 latency, CPU per submission of intake, PostgreSQL and the broker (its
relay still publishes every submission, and its read model consumes it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import uvloop
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from onewindow.load import cpu
from onewindow.load.control import watched_parts
from onewindow.load.figures import per_second, percentile
from onewindow.load.generator import Offer, make_offers, offer_all
from onewindow.load.mix import spread
from onewindow.load.pacing import Pace
from onewindow.load.session import Target

MEASURED = ("intake", "postgresql", "broker", "load client")


@dataclass(frozen=True)
class IntakeFigures:
    applications: int
    concurrency: int
    accepted: int
    refused: int
    accepted_per_s: float | None  # first submit to last 202
    latency_ms: dict[str, float | None]  # submit → 202: p50, p95, p99, max
    cpu_ms_per_submission: dict[str, float | None]


def intake_figures(
    offers: list[Offer], concurrency: int, cpu_ms: dict[str, float | None]
) -> IntakeFigures:
    sent = [o.first_sent for o in offers if o.first_sent is not None]
    answered = [
        (o.first_sent, o.accepted_at)
        for o in offers
        if o.first_sent is not None and o.accepted_at is not None
    ]
    waits = [(at - first) * 1000 for first, at in answered]
    end = max((at for _, at in answered), default=None)
    return IntakeFigures(
        applications=len(offers),
        concurrency=concurrency,
        accepted=len(answered),
        refused=sum(1 for o in offers if not o.accepted and o.first_sent is not None),
        accepted_per_s=per_second(len(answered), min(sent, default=None), end),
        latency_ms={f"p{p}": percentile(waits, p) for p in (50, 95, 99)}
        | {"max": max(waits, default=None)},
        cpu_ms_per_submission={
            part: (ms / len(answered) if ms is not None and answered else None)
            for part, ms in cpu_ms.items()
            if part in MEASURED
        },
    )


def as_table(figures: IntakeFigures) -> str:
    def number(value: float | None, unit: str = "") -> str:
        return "—" if value is None else f"{value:.1f}{unit}"

    lines = [
        f"submissions offered             {figures.applications:,} at concurrency"
        f" {figures.concurrency}, intake alone",
        f"accepted / refused              {figures.accepted:,} / {figures.refused:,}",
        f"accepted/s                      {number(figures.accepted_per_s)}",
        "submit → 202                    "
        + "  ".join(f"{k} {number(v, ' ms')}" for k, v in figures.latency_ms.items()),
        "CPU ms per submission",
    ]
    lines += [
        f"  {part:<30}{number(ms, ' ms')}" for part, ms in figures.cpu_ms_per_submission.items()
    ]
    return "\n".join(lines)


async def run_intake(
    target: Target, applications: int, mix: dict[str, int], concurrency: int, console: Console
) -> IntakeFigures:
    api_key = await target.api_key("bench-intake")
    parts = [p for p in watched_parts(target.home) if p.name in MEASURED]
    # a receiver's address, as a front end gives; with the notifier stopped nothing is sent
    offers = make_offers(
        spread(mix, applications), lambda key: f"http://127.0.0.1:{target.receiver_port}/{key}"
    )
    before = cpu.sample(parts)
    with Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bars:
        bar = bars.add_task("accepted", total=len(offers))

        async def show() -> None:
            while True:
                bars.update(bar, completed=sum(1 for o in offers if o.accepted))
                await asyncio.sleep(0.25)

        showing = asyncio.create_task(show())
        try:
            await offer_all(target.intake_url, api_key, offers, Pace(None), concurrency)
        finally:
            showing.cancel()
    after = cpu.sample(parts)
    return intake_figures(offers, concurrency, cpu.milliseconds(before, after))


def run(target: Target, applications: int, mix: dict[str, int], concurrency: int) -> IntakeFigures:
    console = Console(stderr=True)
    return uvloop.run(run_intake(target, applications, mix, concurrency, console))

"""`onewindow bench flow`: offer applications to a running system at a pace, observe each one
result at the applicant's webhook, and measure throughput, latency, events and CPU."""

from __future__ import annotations

import time
from dataclasses import dataclass

import uvloop
from rich.console import Console

from onewindow.load import cpu
from onewindow.load.control import watched_parts
from onewindow.load.flow_report import FlowFigures, FlowSetup, flow_figures
from onewindow.load.generator import Offer, make_offers, offer_all
from onewindow.load.legacy import ZERO_LATENCY, LegacyControl
from onewindow.load.mix import spread
from onewindow.load.observer import Arrivals, ResultObserver
from onewindow.load.pacing import Pace
from onewindow.load.positions import appended_since, newest_positions
from onewindow.load.session import Target, showing_progress, until_results


@dataclass(frozen=True)
class FlowRun:
    figures: FlowFigures
    offers: list[Offer]
    arrivals: dict[str, Arrivals]


async def run_flow(
    target: Target,
    setup: FlowSetup,
    pace: Pace,
    result_timeout: float,
    console: Console,
) -> FlowRun:
    api_key = await target.api_key("bench-flow")
    legacy = LegacyControl(target.legacy_url)
    kept = await legacy.behaviours() if setup.legacy_latency == "zero" else {}
    if kept:
        await legacy.configure(ZERO_LATENCY)
    parts = watched_parts(target.home)
    observer = ResultObserver(target.webhook_secret, target.receiver_port)
    offers = make_offers(spread(setup.mix, setup.applications), observer.url)
    try:
        async with observer.running():
            positions = await newest_positions(target.database_url)
            before = cpu.sample(parts)
            async with showing_progress(offers, observer, console):
                await offer_all(target.intake_url, api_key, offers, pace, setup.concurrency)
                await until_results(offers, observer, time.monotonic() + result_timeout)
            after = cpu.sample(parts)
            events = sum((await appended_since(target.database_url, positions)).values())
            observer.refresh()
    finally:
        if kept:
            await legacy.restore(kept)
    figures = flow_figures(setup, offers, observer.by_key, events, cpu.milliseconds(before, after))
    return FlowRun(figures, offers, observer.by_key)


def run(target: Target, setup: FlowSetup, pace: Pace, timeout: float) -> FlowRun:
    return uvloop.run(run_flow(target, setup, pace, timeout, Console(stderr=True)))

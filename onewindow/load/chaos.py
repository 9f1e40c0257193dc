"""`onewindow chaos`: applications filed at a steady rate while services are killed, the broker
loses its data, PostgreSQL crashes and every legacy system errs and stalls; then: was anything
lost, was anything done twice, how long did healing take."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from rich.console import Console

from onewindow.load.chaos_report import ChaosReport, DoneFault, chaos_report
from onewindow.load.control import StackControl
from onewindow.load.faults import PlannedFault, plan_faults
from onewindow.load.generator import Retrying, make_offers, offer_all
from onewindow.load.legacy import LegacyControl, double_filings
from onewindow.load.mix import spread
from onewindow.load.observer import ResultObserver
from onewindow.load.pacing import Pace
from onewindow.load.session import Target, showing_progress, until_results
from onewindow.stack import SERVICES
from services.dept_adapter.settings import HERE

DEPARTMENTS_FILE = HERE / "departments.yaml"


@dataclass(frozen=True)
class ChaosSetup:
    applications: int
    rate: float  # applications offered per second
    kill_every: float  # seconds between faults
    settle_timeout: float  # after the last offer was due: for retries and the last results
    faults: frozenset[str]  # kill, postgres, broker
    error_rate: float  # of every legacy system
    timeout_rate: float
    mix: dict[str, int]
    seed: int
    breaker_open_seconds: float | None = None  # None: as departments.yaml has it
    concurrency: int = 32
    quiet_seconds: float = 5.0  # after the last result, for a late second outcome or resend

    @property
    def window_seconds(self) -> float:
        return self.applications / self.rate

    def plan(self) -> list[PlannedFault]:
        return plan_faults(
            self.window_seconds, self.kill_every, self.faults, random.Random(self.seed)
        )


def stack_env(setup: ChaosSetup, root: Path) -> dict[str, str]:
    """What the stack's processes get beyond the wiring: the adapter's departments with the
    breaker's open time of the setup, if it names one."""
    if setup.breaker_open_seconds is None:
        return {}
    departments = yaml.safe_load(DEPARTMENTS_FILE.read_text(encoding="utf-8"))
    departments["defaults"]["breaker"]["open_seconds"] = setup.breaker_open_seconds
    path = root / "departments.yaml"
    root.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(departments, allow_unicode=True), encoding="utf-8")
    return {"ONEWINDOW_DEPARTMENTS_FILE": str(path)}


async def run_chaos(
    control: StackControl, target: Target, setup: ChaosSetup, console: Console
) -> ChaosReport:
    plan = setup.plan()
    api_key = await target.api_key("chaos")
    legacy = LegacyControl(target.legacy_url)
    await legacy.configure({"error_rate": setup.error_rate, "timeout_rate": setup.timeout_rate})
    observer = ResultObserver(target.webhook_secret, target.receiver_port)
    offers = make_offers(spread(setup.mix, setup.applications), observer.url)
    async with observer.running():
        start = time.monotonic()
        deadline = start + setup.window_seconds + setup.settle_timeout
        async with showing_progress(offers, observer, console):
            offering = asyncio.create_task(
                offer_all(
                    target.intake_url, api_key, offers, Pace(setup.rate), setup.concurrency,
                    Retrying(until=deadline), timeout_seconds=10,
                )
            )  # fmt: skip
            done = await do_faults(control, plan, start, console)
            await offering
            await until_results(offers, observer, deadline)
            done = await readiness(done)
        await asyncio.sleep(setup.quiet_seconds)
        observer.refresh()
    ledger = await legacy.ledger()
    return chaos_report(
        offers, observer.by_key, done, start, double_filings(ledger),
        legacy_requests=sum(c["requests"] for keys in ledger.values() for c in keys.values()),
        unsigned=observer.unsigned,
        services_down=[s for s in SERVICES if not control.stack.service_alive(s)],
    )  # fmt: skip


async def do_faults(
    control: StackControl, plan: list[PlannedFault], start: float, console: Console
) -> list[DoneFault]:
    """Each fault at its time, one after the other; a part that cannot be started again is
    recorded, and the run goes on (the report shows it). A killed service's readiness is
    watched meanwhile, while the next faults go on; call ``readiness`` at the end."""
    done = []
    watchers: dict[str, asyncio.Task[float | None]] = {}
    for fault in plan:
        await asyncio.sleep(max(0.0, start + fault.at - time.monotonic()))
        if fault.target in watchers:  # killed again before it was ready: no ready time
            watchers.pop(fault.target).cancel()
        began, error = time.monotonic(), None
        try:
            await asyncio.to_thread(_do, control, fault)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        ended = time.monotonic()
        watching = None
        if fault.kind == "kill" and error is None:
            watching = watchers[fault.target] = asyncio.create_task(
                _ready_at(control, fault.target)
            )
        done.append(DoneFault(fault, began, ended, error, watching=watching))
        what = f"{fault.kind} {fault.target}" if fault.kind == "kill" else fault.kind
        console.log(f"{what} at {began - start:.1f} s, took {ended - began:.1f} s"
                    + (f": {error}" if error else ""))  # fmt: skip
    return done


async def readiness(faults: list[DoneFault]) -> list[DoneFault]:
    """Each fault with the time its part was ready again: a killed service once it answered
    /readyz (None if it never did, or was killed again first); PostgreSQL and the broker
    once they were started again, which waits for them to answer."""
    ready = []
    for fault in faults:
        at: float | None = fault.ended if fault.error is None else None
        if fault.watching is not None:
            if not fault.watching.done():
                fault.watching.cancel()
            await asyncio.gather(fault.watching, return_exceptions=True)
            at = None if fault.watching.cancelled() else fault.watching.result()
        ready.append(replace(fault, ready=at, watching=None))
    return ready


async def _ready_at(control: StackControl, service: str) -> float | None:
    port = control.stack.ports[service]
    while not await asyncio.to_thread(control.stack.service_ready, port):
        await asyncio.sleep(0.2)
    return time.monotonic()


def _do(control: StackControl, fault: PlannedFault) -> None:
    if fault.kind == "kill":
        control.kill_service(fault.target)
    elif fault.kind == "broker":
        control.lose_broker()
    elif fault.kind == "postgres":
        control.crash_postgres()
    else:
        raise ValueError(f"unknown fault kind {fault.kind!r}")

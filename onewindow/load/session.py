"""What both load tools do around the load: know the system they load (a target), show the
progress, and wait for the one results."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from onewindow.applicant import issue_keys
from onewindow.load.generator import Offer
from onewindow.load.observer import ResultObserver
from onewindow.stack import LEGACY_SIM, Stack


@dataclass(frozen=True)
class Target:
    """A running system as the load tools reach it."""

    intake_url: str
    database_url: str  # API keys are issued there, and the logs' positions read
    legacy_url: str  # legacy_sim's control API
    webhook_secret: str  # the notifier's: the receiver checks every signature
    home: Path | None  # where its pid files are, for CPU time; None: not known

    @classmethod
    def of(cls, stack: Stack, webhook_secret: str) -> Target:
        return cls(
            stack.url("intake"), stack.database_url, stack.url(LEGACY_SIM), webhook_secret,
            stack.root,
        )  # fmt: skip

    async def api_key(self, client: str) -> str:
        """A fresh key of a web front end (applications filed online, not at a counter)."""
        return (await issue_keys(self.database_url, {client: "web"}))[client]


def accepted(offers: list[Offer]) -> int:
    return sum(1 for o in offers if o.accepted)


@asynccontextmanager
async def showing_progress(
    offers: list[Offer], observer: ResultObserver, console: Console
) -> AsyncIterator[None]:
    """Bars of applications accepted and one results arrived, while the block runs."""
    columns = (
        TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console, transient=False) as bars:
        offered = bars.add_task("accepted", total=len(offers), rate="")
        arrived = bars.add_task("one results", total=len(offers), rate="")
        started = time.monotonic()

        async def update() -> None:
            while True:
                elapsed = max(time.monotonic() - started, 1e-9)
                done = accepted(offers)
                results = observer.results()
                bars.update(offered, completed=done, rate=f"{done / elapsed:6.1f}/s")
                bars.update(arrived, completed=results, rate=f"{results / elapsed:6.1f}/s")
                await asyncio.sleep(0.25)

        updating = asyncio.create_task(update())
        try:
            yield
        finally:
            updating.cancel()
            await asyncio.gather(updating, return_exceptions=True)
            bars.update(offered, completed=accepted(offers))
            bars.update(arrived, completed=observer.results())


async def until_results(
    offering: Awaitable[None], offers: list[Offer], observer: ResultObserver, timeout: float
) -> bool:
    """Wait for the offering to end, then for every accepted offer's one result, at most
    ``timeout`` s after the offering ended; True if every one arrived."""
    await offering
    deadline = time.monotonic() + timeout
    while True:
        observer.refresh()
        waiting = [o for o in offers if o.accepted and o.key not in _with_outcome(observer)]
        if not waiting:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)


def _with_outcome(observer: ResultObserver) -> set[str]:
    return {key for key, arrivals in observer.by_key.items() if arrivals.outcomes}

"""What both load tools do around the load: know the system they load (a target), show the
progress, and wait for the one results."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from onewindow.applicant import issue_keys
from onewindow.load.generator import Offer
from onewindow.load.observer import ResultObserver
from onewindow.stack import LEGACY_SIM, LOCAL_PARTS, WEBHOOK_RECEIVER, Stack

RATE_WINDOW_SECONDS = 5.0


@dataclass(frozen=True)
class Target:
    """A running system as the load tools reach it."""

    intake_url: str
    database_url: str  # API keys are issued there, and the logs' positions read
    legacy_url: str  # legacy_sim's control API
    webhook_secret: str  # the notifier's: the receiver checks every signature
    home: Path | None  # where its pid files are, for CPU time; None: not known
    receiver_port: int = LOCAL_PARTS[WEBHOOK_RECEIVER]  # the one the system admits webhooks to

    @classmethod
    def of(cls, stack: Stack, webhook_secret: str) -> Target:
        return cls(
            stack.url("intake"),
            stack.database_url,
            stack.url(LEGACY_SIM),
            webhook_secret,
            stack.root,
            stack.ports[WEBHOOK_RECEIVER],
        )

    async def api_key(self, client: str) -> str:
        """A fresh key of a web front end (applications filed online, not at a counter)."""
        return (await issue_keys(self.database_url, {client: "web"}))[client]


def accepted(offers: list[Offer]) -> int:
    return sum(1 for o in offers if o.accepted)


@asynccontextmanager
async def showing_progress(
    offers: list[Offer], observer: ResultObserver, console: Console
) -> AsyncIterator[None]:
    """Bars of applications accepted and one results arrived, while the block runs, each with
    its rate over the last few seconds."""
    columns = (
        TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console, transient=False) as bars:
        offered = bars.add_task("accepted", total=len(offers), rate="")
        arrived = bars.add_task("one results", total=len(offers), rate="")
        recent: deque[tuple[float, int, int]] = deque()

        async def update() -> None:
            while True:
                now, done, results = time.monotonic(), accepted(offers), observer.results()
                recent.append((now, done, results))
                while now - recent[0][0] > RATE_WINDOW_SECONDS:
                    recent.popleft()
                then, done_then, results_then = recent[0]
                span = max(now - then, 1e-9)
                bars.update(offered, completed=done, rate=f"{(done - done_then) / span:6.1f}/s")
                bars.update(
                    arrived, completed=results, rate=f"{(results - results_then) / span:6.1f}/s"
                )
                await asyncio.sleep(0.25)

        updating = asyncio.create_task(update())
        try:
            yield
        finally:
            updating.cancel()
            await asyncio.gather(updating, return_exceptions=True)
            bars.update(offered, completed=accepted(offers))
            bars.update(arrived, completed=observer.results())


async def until_results(offers: list[Offer], observer: ResultObserver, deadline: float) -> bool:
    """Wait until every accepted offer's one result arrived, or ``deadline`` (monotonic) has
    passed; True if every one arrived."""
    while True:
        observer.refresh()
        arrived = {key for key, arrivals in observer.by_key.items() if arrivals.outcomes}
        if all(o.key in arrived for o in offers if o.accepted):
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)

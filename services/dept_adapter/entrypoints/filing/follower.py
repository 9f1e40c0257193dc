"""The log follower: it follows dept_adapter's own log (eventlog/tailing.py) and tells each
worker which of its filings (or lookups) something was recorded for.

It reads by position (positions follow commit order, so nothing is skipped). At start it reads
from position 0, so filings pending, in polling, or awaiting cancellation before a restart,
and lookups not answered yet, are picked up again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import asyncpg

from contracts.events import FilingCancelled, RegisterLookupAnswered, SubtaskAccepted
from eventlog.store import Connection
from eventlog.tailing import follow
from services.dept_adapter.adapters.filing_log import FilingLog, LoggedEvent
from services.dept_adapter.domain.events import (
    AnswerWithheld,
    CancellationRequested,
    FilingRequested,
    LookupRequested,
)
from services.dept_adapter.domain.filing import RESULTS
from services.dept_adapter.entrypoints.filing.scheduler import Scheduler

BATCH = 1000
# Events after which a filing may need a call, and those after which it needs none
# (unless a later one reopens it). The worker always reloads the stream before acting.
OPENING = frozenset(
    {
        FilingRequested.event_type,
        CancellationRequested.event_type,
        AnswerWithheld.event_type,
        SubtaskAccepted.event_type,
    }
)
CLOSING = RESULTS | {FilingCancelled.event_type}


class LogFollower:
    def __init__(
        self, departments: Mapping[str, Scheduler], lookups: Scheduler, rescan_seconds: float
    ) -> None:
        self.departments, self.lookups, self.rescan_seconds = departments, lookups, rescan_seconds

    async def run(self, pool: asyncpg.Pool, filings: FilingLog, stop: asyncio.Event) -> None:
        position = 0

        async def step(_: Connection) -> bool:
            nonlocal position
            batch = await filings.tail(position, BATCH)
            self._notice(batch)
            position = batch[-1].position if batch else position
            return len(batch) == BATCH

        await follow(pool, step, stop, rescan_seconds=self.rescan_seconds)

    def _notice(self, batch: list[LoggedEvent]) -> None:
        open_: dict[str, str] = {}
        lookups: set[str] = set()
        for event in batch:
            if event.lookup_key is not None:
                if event.event_type == LookupRequested.event_type:
                    lookups.add(event.lookup_key)
                elif event.event_type == RegisterLookupAnswered.event_type:
                    lookups.discard(event.lookup_key)
            elif event.department is None or event.department not in self.departments:
                continue
            elif event.event_type in OPENING:
                open_[event.filing_key] = event.department
            elif event.event_type in CLOSING:
                open_.pop(event.filing_key, None)
        for key, department in open_.items():
            self.departments[department].notice(key)
        for key in lookups:
            self.lookups.notice(key)

"""The data-sharing platform's ledger of lookups: who asked which register for which keys, for
which application and purpose, when, and what it was answered. Only lookups that were
understood are written (authorised, a known dataset, a valid body); the newest ``limit`` are
kept, and ``dropped`` counts the ones let go."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from services.legacy_sim.domain.sharing import LookupRequest


@dataclass(frozen=True)
class Lookup:
    seq: int  # 1, 2, … in arrival order; restarts after a reset
    at: datetime  # when the request was received (validated)
    dataset: str
    request: LookupRequest
    status: int  # the HTTP status answered: 200, or an injected 500 / 503
    found: tuple[str, ...]  # the keys answered with a record (none unless 200)
    stalled: bool  # answered only after the register's time-out stall


class LookupLedger:
    def __init__(self, limit: int) -> None:
        self._entries: deque[Lookup] = deque(maxlen=limit)
        self._written = 0

    def write(
        self,
        at: datetime,
        dataset: str,
        request: LookupRequest,
        status: int,
        found: tuple[str, ...] = (),
        stalled: bool = False,
    ) -> Lookup:
        self._written += 1
        entry = Lookup(self._written, at, dataset, request, status, found, stalled)
        self._entries.append(entry)
        return entry

    @property
    def dropped(self) -> int:
        return self._written - len(self._entries)

    def entries(
        self, application_id: str | None = None, dataset: str | None = None
    ) -> list[Lookup]:
        return [
            e
            for e in self._entries
            if (application_id is None or e.request.application_id == application_id)
            and (dataset is None or e.dataset == dataset)
        ]

    def clear(self) -> None:
        self._entries.clear()
        self._written = 0

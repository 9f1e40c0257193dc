"""The filing ledger: which filings a legacy system made, and how often each key was asked.

Invariant: at most one filing per (department, idempotency key). ``file`` checks and inserts
without awaiting, so on one event loop two concurrent requests with the same key cannot both
file; the second gets the first one's filing back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from services.legacy_sim.domain.decisions import Decision


@dataclass(frozen=True)
class Filing:
    department: str
    idempotency_key: str
    receipt: str
    application_id: str
    subtask: str
    decision: Decision
    ready_at: float  # clock time from which the result may be seen (poll, callback)
    cancelled: bool = False


@dataclass
class KeyCounts:
    requests: int = 0
    filings: int = 0
    cancellations: int = 0


class UnknownFiling(LookupError):
    """No filing with that receipt (or ticket) in that department."""


class FilingLedger:
    def __init__(self) -> None:
        self._counts: dict[str, dict[str, KeyCounts]] = {}
        self._by_key: dict[tuple[str, str], Filing] = {}
        self._by_receipt: dict[tuple[str, str], tuple[str, str]] = {}

    def _counts_for(self, department: str, key: str) -> KeyCounts:
        return self._counts.setdefault(department, {}).setdefault(key, KeyCounts())

    def receive(self, department: str, key: str) -> int:
        """Count one request for the key; returns its attempt number (1 for the first)."""
        counts = self._counts_for(department, key)
        counts.requests += 1
        return counts.requests

    def find_by_key(self, department: str, key: str) -> Filing | None:
        return self._by_key.get((department, key))

    def file(self, department: str, key: str, make: Callable[[], Filing]) -> tuple[Filing, bool]:
        """The filing for the key, made by ``make`` only if there is none yet; (filing, is_new)."""
        existing = self._by_key.get((department, key))
        if existing is not None:
            return existing, False
        filing = make()
        self._by_key[(department, key)] = filing
        self._by_receipt[(department, filing.receipt)] = (department, key)
        self._counts_for(department, key).filings += 1
        return filing, True

    def alias(self, department: str, reference: str, key: str) -> None:
        """Let ``reference`` (e.g. a poll ticket) find the key's filing as its receipt does."""
        self._by_receipt[(department, reference)] = (department, key)

    def find(self, department: str, receipt: str) -> Filing:
        try:
            return self._by_key[self._by_receipt[(department, receipt)]]
        except KeyError:
            raise UnknownFiling(f"{department}: no filing {receipt!r}") from None

    def cancel(self, department: str, receipt: str) -> Filing:
        """Mark the filing cancelled; cancelling again changes nothing (idempotent)."""
        filing = self.find(department, receipt)
        if filing.cancelled:
            return filing
        cancelled = replace(filing, cancelled=True)
        self._by_key[(department, filing.idempotency_key)] = cancelled
        self._counts_for(department, filing.idempotency_key).cancellations += 1
        return cancelled

    def counts(self) -> dict[str, dict[str, KeyCounts]]:
        return {
            dept: {key: replace(c) for key, c in keys.items()}
            for dept, keys in self._counts.items()
        }

    def clear(self) -> None:
        self._counts.clear()
        self._by_key.clear()
        self._by_receipt.clear()

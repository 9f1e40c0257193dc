"""The legacy systems' stand-ins as the load tools use them: their behaviour set on every
department and every register of the data-sharing platform at once (latency, errors,
time-outs), and the departments' ledger read for double filings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from services.legacy_sim.config import PROTOCOLS
from services.legacy_sim.domain.register_records import DATASETS

DEPARTMENTS = tuple(PROTOCOLS)
# Each system by the path of its control: /_control/<department>, /_control/sharing/<dataset>.
SYSTEMS = (*DEPARTMENTS, *(f"sharing/{dataset}" for dataset in DATASETS))
ZERO_LATENCY = {"latency_ms": 0, "jitter_ms": 0, "processing_delay_ms": 0}


class LegacyControl:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def behaviours(self) -> dict[str, dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as http:
            return {s: (await _ok(http.get(f"/_control/{s}"))).json() for s in SYSTEMS}

    async def configure(self, partial: Mapping[str, Any]) -> None:
        """The same behaviour fields on every department and register."""
        await self.restore({system: partial for system in SYSTEMS})

    async def restore(self, behaviours: Mapping[str, Mapping[str, Any]]) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as http:
            for system, fields in behaviours.items():
                await _ok(http.post(f"/_control/{system}", json=dict(fields)))

    async def ledger(self) -> dict[str, dict[str, dict[str, int]]]:
        """Department → idempotency key → {requests, filings, cancellations}."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as http:
            found: dict[str, dict[str, dict[str, int]]] = (
                await _ok(http.get("/_control/filings"))
            ).json()
            return found


async def _ok(request: Any) -> httpx.Response:
    response: httpx.Response = await request
    if response.status_code != 200:
        raise RuntimeError(
            f"legacy_sim {response.request.url.path}: {response.status_code} {response.text}"
        )
    return response


@dataclass(frozen=True)
class DoubleFilings:
    """Filings made twice at a legacy system, by department.

    ``per_key``: keys the system filed more than once (its ledger files a key once, so this
    holds the stand-in to its word). ``per_subtask``: one round of one application's sub-task
    filed under several keys — a key is ``<application>:<subtask>:<round>``, and a round is a
    new filing only after a supplement, so with no supplement asked more than one round of a
    sub-task is a filing done twice."""

    per_key: dict[str, int]
    per_subtask: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.per_key.values()) + sum(self.per_subtask.values())


def double_filings(ledger: Mapping[str, Mapping[str, Mapping[str, int]]]) -> DoubleFilings:
    """The load tools offer complete applications, so no department asks for a supplement."""
    per_key: dict[str, int] = {}
    per_subtask: dict[str, int] = {}
    for department, keys in ledger.items():
        twice = sum(1 for counts in keys.values() if counts.get("filings", 0) > 1)
        if twice:
            per_key[department] = twice
        rounds = Counter(
            key.rsplit(":", 1)[0] for key, c in keys.items() if c.get("filings", 0) and ":" in key
        )
        several = sum(1 for n in rounds.values() if n > 1)
        if several:
            per_subtask[department] = several
    return DoubleFilings(per_key, per_subtask)

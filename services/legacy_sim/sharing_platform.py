"""The data-sharing platform's state: its registers, each register's behaviour (latency and
faults, as a department's), the attempts of each lookup while ``fail_first`` is set, and the
ledger of lookups."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from services.legacy_sim.config import Behaviours, DepartmentBehaviour
from services.legacy_sim.domain.decisions import Completed, FilingRequest
from services.legacy_sim.domain.ledger import Filing
from services.legacy_sim.domain.lookup_ledger import LookupLedger
from services.legacy_sim.domain.registry_outputs import registered_company
from services.legacy_sim.domain.sharing import Register, StoredRecord


class UnknownDataset(LookupError):
    pass


class SharingPlatform:
    def __init__(
        self,
        registers: Mapping[str, Register],
        behaviours: Mapping[str, DepartmentBehaviour],
        token: str,
        ledger_limit: int,
    ) -> None:
        self.registers = dict(registers)
        self.behaviours = Behaviours(behaviours, UnknownDataset)
        self._token = token.encode()
        self.ledger = LookupLedger(ledger_limit)
        self._attempts: dict[tuple[str, str], int] = {}

    def authorised(self, authorization: str | None) -> bool:
        """``Authorization: Bearer <token>``; the scheme's case does not matter (RFC 9110)."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self._token
        )

    def register(self, dataset: str) -> Register:
        try:
            return self.registers[dataset]
        except KeyError:
            raise UnknownDataset(dataset) from None

    def learn(self, request: FilingRequest, filing: Filing) -> None:
        """A company amr registered is in the business registry from then on."""
        registry = self.registers.get("business-registry")
        if registry is None or not isinstance(filing.decision, Completed):
            return
        now = datetime.now(UTC)
        company = registered_company(request, filing.decision.outputs, now.date())
        if company is not None:
            code = filing.decision.outputs["credit_code"]
            registry.hold(StoredRecord((code,), company, now.strftime("%Y-%m-%dT%H:%M:%SZ")))

    def behaviour(self, dataset: str) -> DepartmentBehaviour:
        return self.behaviours[dataset]

    def attempt(self, dataset: str, lookup: str) -> int | None:
        """The number of this request among those of the same lookup, counted only while the
        register fails the first attempts (nothing to keep per lookup otherwise)."""
        if not self.behaviour(dataset).fail_first:
            return None
        n = self._attempts.get((dataset, lookup), 0) + 1
        self._attempts[(dataset, lookup)] = n
        return n

    def reset(self) -> None:
        self.behaviours.reset()
        self._attempts.clear()
        self.ledger.clear()

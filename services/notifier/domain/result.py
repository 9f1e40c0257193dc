"""The one result (统一出件): every certificate with its verification hash, and a hash
over the whole document, so the applicant or a third party can check what was issued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.certificates import sha256_hex, utc_timestamp, verification_hash
from contracts.departments import department_name
from contracts.events import Certificate, OutcomeDecided


@dataclass(frozen=True)
class IssuedCertificate:
    certificate: Certificate
    verification_hash: str

    @property
    def department_name(self) -> str:
        return department_name(self.certificate.department)

    def as_json(self) -> dict[str, Any]:
        c = self.certificate
        return {
            "department": c.department,
            "department_name": self.department_name,
            "subtask": c.subtask,
            "title": c.title,
            "number": c.number,
            "issued_at": utc_timestamp(c.issued_at),
            "verification_hash": self.verification_hash,
        }


@dataclass(frozen=True)
class OneResult:
    application_id: UUID
    outcome: OutcomeDecided
    decided_at: datetime
    certificates: tuple[IssuedCertificate, ...]

    def document(self) -> dict[str, Any]:
        o = self.outcome
        return {
            "kind": "result",
            "application_id": str(self.application_id),
            "receipt_number": o.receipt_number,
            "matter": o.matter,
            "matter_name": o.matter_name,
            "applicant_name": o.applicant_name,
            "decided_at": utc_timestamp(self.decided_at),
            "certificates": [c.as_json() for c in self.certificates],
        }

    @property
    def result_hash(self) -> str:
        return sha256_hex(self.document())


def assemble_result(
    application_id: UUID, outcome: OutcomeDecided, decided_at: datetime
) -> OneResult:
    issued = tuple(
        IssuedCertificate(c, verification_hash(application_id, outcome.receipt_number, c))
        for c in outcome.certificates
    )
    return OneResult(application_id, outcome, decided_at, issued)

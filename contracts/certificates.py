"""The verification hash of an issued certificate (验证码): what the applicant's one result
prints beside each certificate's number, and what the e-certificate library's public check
compares. Canonical JSON and its digest are the same bytes in any language."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from contracts.events import Certificate


def canonical_json(value: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8 (not ASCII-escaped): the same bytes in any language."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(value: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a trailing Z, e.g. 2025-03-04T01:30:00Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def verification_hash(application_id: UUID, receipt_number: str, certificate: Certificate) -> str:
    return sha256_hex(
        {
            "application_id": str(application_id),
            "receipt_number": receipt_number,
            "department": certificate.department,
            "title": certificate.title,
            "number": certificate.number,
            "issued_at": utc_timestamp(certificate.issued_at),
        }
    )

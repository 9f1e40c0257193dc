"""Canonical JSON and its digest: what verification hashes and result hashes are taken over."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def canonical_json(value: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8 (not ASCII-escaped): the same bytes in any language."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(value: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a trailing Z, e.g. 2025-03-04T01:30:00Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

"""HTTP answers of the JSON styles (REST, submit-then-poll, callback) → outcomes.

Exact wire contract: docs/legacy-protocols.md. 500/502/503/504/429 are retryable; any other
non-2xx (400, 404, …) is terminal, and so is a 2xx that cannot be understood.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from contracts.events import MissingMaterial
from services.dept_adapter.domain.outcomes import (
    Accepted,
    Answer,
    Cancelled,
    Completed,
    Decision,
    Processing,
    Rejected,
    Retryable,
    Supplement,
    Terminal,
)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class Unparseable(ValueError):
    """An answer that does not follow the protocol."""


def retry_after_seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise Unparseable(f"answer is not JSON: {e}") from None
    if not isinstance(value, dict):
        raise Unparseable("answer is not a JSON object")
    return value


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Unparseable(f"answer lacks a non-empty string {name!r}")
    return value


def decision(fields: Mapping[str, Any]) -> Decision:
    """`status`, `receipt` and `outputs` | `reason` | `materials` (also a callback's body)."""
    status, receipt = fields.get("status"), _text(fields, "receipt")
    if status == "completed":
        outputs = fields.get("outputs", {})
        if not isinstance(outputs, dict):
            raise Unparseable("answer's outputs is not an object")
        return Completed(receipt, outputs)
    if status == "rejected":
        return Rejected(receipt, _text(fields, "reason"))
    if status == "supplement":
        try:
            materials = tuple(MissingMaterial.model_validate(m) for m in fields["materials"])
        except (KeyError, TypeError, ValidationError) as e:
            raise Unparseable(f"answer's materials are not [{{code, name, reason}}]: {e}") from None
        if not materials:
            raise Unparseable("a supplement answer lists no materials")
        return Supplement(receipt, materials)
    raise Unparseable(f"unknown status {status!r}")


def failure(status: int, body: bytes, retry_after: str | None) -> Retryable | Terminal | None:
    """None for a 2xx; otherwise what the failure means."""
    if 200 <= status < 300:
        return None
    try:
        detail = str(json_object(body).get("error", ""))
    except Unparseable:
        detail = body[:200].decode("utf-8", "replace")
    error = f"HTTP {status}: {detail}".strip().rstrip(":")
    if status in RETRYABLE_STATUS:
        return Retryable(error, retry_after_seconds(retry_after))
    return Terminal(error)


def _answer(
    status: int, body: bytes, retry_after: str | None, read: Callable[[dict[str, Any]], Answer]
) -> Answer:
    failed = failure(status, body, retry_after)
    if failed is not None:
        return failed
    try:
        return read(json_object(body))
    except Unparseable as e:
        return Terminal(f"unparseable answer: {e}")


def submitted(status: int, body: bytes, retry_after: str | None = None) -> Answer:
    """REST `POST /{dept}/filings`: decided at once."""
    return _answer(status, body, retry_after, decision)


def accepted(status: int, body: bytes, retry_after: str | None = None) -> Answer:
    """Poll-style `POST /applications` (→ ticket) or callback-style `POST /filings` (→ receipt)."""
    return _answer(
        status,
        body,
        retry_after,
        lambda f: Accepted(_text(f, "ticket") if "ticket" in f else _text(f, "receipt")),
    )


def polled(status: int, body: bytes, retry_after: str | None = None) -> Answer:
    """Poll-style `GET /applications/{ticket}`."""

    def read(fields: dict[str, Any]) -> Answer:
        state = fields.get("state")
        if state == "processing":
            return Processing()
        if state == "cancelled":
            return Terminal("the legacy system reports the filing cancelled")
        return decision(fields)

    return _answer(status, body, retry_after, read)


def cancelled(status: int, body: bytes, retry_after: str | None = None) -> Answer:
    """`POST …/{receipt}/cancel` of every JSON style."""

    def read(fields: dict[str, Any]) -> Answer:
        if fields.get("status") != "cancelled":
            raise Unparseable(f"cancel answered status {fields.get('status')!r}")
        return Cancelled(_text(fields, "receipt"))

    return _answer(status, body, retry_after, read)

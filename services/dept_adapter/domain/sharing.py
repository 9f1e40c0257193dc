"""The data-sharing platform's lookup protocol (docs/data-sharing.md): the request for one
batch of a register's records, and its answer read into what OneWindow keeps — of each record
only the fields asked for that key, whatever the platform sent (data minimisation)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from contracts.events import DatasetLookup, FetchedRecord
from services.dept_adapter.domain.answers import (
    RETRYABLE_STATUS,
    Unparseable,
    json_object,
    retry_after_seconds,
)
from services.dept_adapter.domain.outcomes import Retryable, Terminal

REQUESTER = "onewindow"


@dataclass(frozen=True)
class Records:
    """The register answered: one record (or `found: false`) per key asked."""

    records: tuple[FetchedRecord, ...]


LookupAnswer = Records | Retryable | Terminal


def request_body(lookup: DatasetLookup, matter: str, application_id: UUID) -> dict[str, Any]:
    """Who asks, why, for which application; the keys, and the union of the fields asked."""
    fields = sorted({f for wanted in lookup.records for f in wanted.fields})
    return {
        "requester": REQUESTER,
        "purpose": {"matter": matter, "subtask": lookup.purpose},
        "application_id": str(application_id),
        "keys": [wanted.key for wanted in lookup.records],
        "fields": fields,
    }


def read_answer(
    lookup: DatasetLookup, status: int, body: bytes, retry_after: str | None
) -> LookupAnswer:
    if status in RETRYABLE_STATUS:
        return Retryable(f"platform answered {status}", retry_after_seconds(retry_after))
    if status != 200:
        return Terminal(f"platform refused the lookup: {status} {_error_of(body)}")
    try:
        return Records(_records(lookup, json_object(body)))
    except Unparseable as e:
        return Terminal(f"platform answer not understood: {e}")


def _records(lookup: DatasetLookup, answer: Mapping[str, Any]) -> tuple[FetchedRecord, ...]:
    entries = answer.get("records")
    if not isinstance(entries, list):
        raise Unparseable("no list 'records'")
    by_key: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise Unparseable("a record without a string 'key'")
        if not isinstance(entry.get("found"), bool):
            raise Unparseable(f"record {entry['key']!r} without a boolean 'found'")
        by_key.setdefault(entry["key"], entry)
    records = []
    for wanted in lookup.records:
        entry = by_key.get(wanted.key)
        if entry is None:
            raise Unparseable(f"no record for a key asked ({len(lookup.records)} asked)")
        records.append(_kept(entry, wanted.fields))
    return tuple(records)


def _kept(entry: Mapping[str, Any], fields: tuple[str, ...]) -> FetchedRecord:
    if not entry["found"]:
        return FetchedRecord(key=entry["key"], found=False)
    record = entry.get("record")
    if not isinstance(record, dict):
        raise Unparseable(f"found record {entry['key']!r} without an object 'record'")
    version, digest = entry.get("version"), entry.get("digest")
    return FetchedRecord(
        key=entry["key"],
        found=True,
        record={name: record.get(name) for name in fields},
        version=version if isinstance(version, str) else None,
        digest=digest if isinstance(digest, str) else None,
    )


def _error_of(body: bytes) -> str:
    try:
        answer = json_object(body)
    except Unparseable:
        return ""
    return str(answer.get("message") or answer.get("error") or "")[:300]

"""The data-sharing platform's lookups, pure: the request as validated, a register's answer
(field selection, digest of the whole record) and the canonical JSON the digest is taken of."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.legacy_sim.domain.json_body import NotJson, parse_json

MAX_KEYS = 50
MAX_TEXT = 200
REQUIRED = ("requester", "purpose.matter", "purpose.subtask", "application_id", "keys")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def canonical_json(record: Mapping[str, Any]) -> bytes:
    """Sorted keys (at every depth), no spaces, UTF-8 (non-ASCII not escaped)."""
    return json.dumps(
        record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def record_digest(record: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(record)).hexdigest()


@dataclass(frozen=True)
class StoredRecord:
    keys: tuple[str, ...]  # the record's key first, then the other keys that find it
    record: dict[str, Any]  # every field, as the register holds it
    version: str  # when the register last changed the record, ISO 8601 UTC


class Register:
    """One dataset's records by key. The whole-record answers, digest included, are made once
    here; a lookup without a field selection only picks them out. They are shared by every
    answer and never mutated."""

    def __init__(self, dataset: str, fields: Iterable[str], records: Iterable[StoredRecord]):
        self.dataset = dataset
        self.fields = frozenset(fields)
        self._answers: dict[str, dict[str, Any]] = {}
        for stored in records:
            held = [k for k in stored.keys if k in self._answers]
            if held or len(set(stored.keys)) < len(stored.keys):
                raise ValueError(f"{dataset}: key {(held or list(stored.keys))[0]!r} is held twice")
            self.hold(stored)

    def hold(self, stored: StoredRecord) -> None:
        """Keep `stored`, in place of what its keys found before."""
        digest = record_digest(stored.record)
        for key in stored.keys:
            self._answers[key] = {
                "key": key,
                "found": True,
                "record": stored.record,
                "version": stored.version,
                "digest": digest,
            }

    def __len__(self) -> int:
        return len(self._answers)

    def __contains__(self, key: object) -> bool:
        return key in self._answers

    def keys(self) -> Iterable[str]:
        return self._answers.keys()

    def answer(self, keys: Iterable[str], fields: tuple[str, ...] | None) -> list[dict[str, Any]]:
        """One entry per key, in the order asked; a selection keeps the digest of the whole."""
        answers = []
        for key in keys:
            whole = self._answers.get(key)
            if whole is None:
                answers.append({"key": key, "found": False})
            elif fields is None:
                answers.append(whole)
            else:
                record = whole["record"]
                answers.append({**whole, "record": {f: record[f] for f in fields}})
        return answers


@dataclass(frozen=True)
class LookupRequest:
    requester: str
    matter: str
    subtask: str
    application_id: str  # lower-case UUID
    keys: tuple[str, ...]
    fields: tuple[str, ...] | None  # None: whole records

    @property
    def identity(self) -> str:
        """The same lookup asked again (a retry) has the same identity."""
        return "|".join(
            (self.requester, self.application_id, self.matter, self.subtask, *self.keys)
        )


class BadLookup(ValueError):
    """A lookup the platform refuses: ``missing`` names every field missing or malformed."""

    def __init__(self, missing: list[str], message: str, unknown_fields: list[str]) -> None:
        self.missing = missing
        self.unknown_fields = unknown_fields
        super().__init__(message)

    @classmethod
    def of(cls, problems: list[tuple[str, str]], unknown_fields: list[str]) -> BadLookup:
        missing = list(dict.fromkeys(path for path, _ in problems))
        return cls(missing, "; ".join(f"{p}: {why}" for p, why in problems), unknown_fields)


def parse_lookup(body: bytes, known_fields: Collection[str]) -> LookupRequest:
    """The lookup in ``body``, or ``BadLookup`` naming everything wrong with it at once."""
    try:
        data = parse_json(body)
    except NotJson as e:
        raise _no_object(str(e)) from None
    if not isinstance(data, dict):
        raise _no_object("body must be a JSON object")
    problems: list[tuple[str, str]] = []
    requester = _text(data.get("requester"), "requester", problems)
    purpose = data.get("purpose")
    if isinstance(purpose, dict):
        matter = _text(purpose.get("matter"), "purpose.matter", problems)
        subtask = _text(purpose.get("subtask"), "purpose.subtask", problems)
    else:
        problems += [(p, "required, in an object purpose") for p in REQUIRED[1:3]]
        matter = subtask = ""
    application_id = data.get("application_id")
    if not isinstance(application_id, str) or not _UUID.match(application_id):
        problems.append(("application_id", "required, a UUID (8-4-4-4-12 hex digits)"))
        application_id = ""
    keys = _keys(data.get("keys"), problems)
    unknown: list[str] = []
    fields = _fields(data.get("fields"), known_fields, problems, unknown)
    if problems:
        raise BadLookup.of(problems, unknown)
    return LookupRequest(requester, matter, subtask, application_id.lower(), keys, fields)


def _no_object(reason: str) -> BadLookup:
    return BadLookup(list(REQUIRED), f"{reason}; required: {', '.join(REQUIRED)}", [])


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= MAX_TEXT


def _text(value: object, path: str, problems: list[tuple[str, str]]) -> str:
    if isinstance(value, str) and _is_text(value):
        return value.strip()
    problems.append((path, f"required, a non-empty string of at most {MAX_TEXT} characters"))
    return ""


def _keys(value: object, problems: list[tuple[str, str]]) -> tuple[str, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_KEYS:
        size = f"{len(value)} given" if isinstance(value, list) else "not a list"
        problems.append(("keys", f"required, a list of 1 to {MAX_KEYS} keys ({size})"))
        return ()
    for i, key in enumerate(value):
        if not _is_text(key):
            problems.append((f"keys[{i}]", f"a non-empty string of at most {MAX_TEXT} characters"))
    return tuple(value)


def _fields(
    value: object, known: Collection[str], problems: list[tuple[str, str]], unknown: list[str]
) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
        problems.append(("fields", "a list of field names"))
        return None
    unknown += [f for f in dict.fromkeys(value) if f not in known]
    if unknown:
        problems.append(("fields", f"unknown fields {unknown} (known: {', '.join(sorted(known))})"))
    return tuple(dict.fromkeys(value))

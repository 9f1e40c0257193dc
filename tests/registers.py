"""A register that agrees with the form: for handler and domain tests of the router, the
answer a data-sharing platform holding exactly the applicant's data would give — every key
found, every checked field equal to the form's value, every required field as required,
other fields a placeholder naming the field and key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.catalog import Matter
from contracts.catalog.evidence import record_keys
from contracts.catalog.inputs import FormReference, form_values, parse_reference
from contracts.events import (
    DatasetAnswer,
    FetchedRecord,
    RegisterLookupAnswered,
    RegisterLookupRequested,
)


def agreeing(
    matter: Matter,
    form: Mapping[str, Any],
    request: RegisterLookupRequested,
    *,
    applicant: Mapping[str, Any] | None = None,
    unavailable: frozenset[str] = frozenset(),
    changed: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> RegisterLookupAnswered:
    """The answer to `request`; the register holds `applicant`'s name for their ID too;
    registers in `unavailable` could not be read, and the fields of `changed`
    ((dataset, key) → fields) differ from the form (None: not found)."""
    answers = []
    for lookup in request.lookups:
        common = lookup.model_dump(include={"dataset", "purpose", "materials", "subtasks"})
        if lookup.dataset in unavailable:
            answers.append(
                DatasetAnswer(**common, available=False, error="platform answered 503", attempts=3)
            )
            continue
        records = []
        for wanted in lookup.records:
            values = _agreeing_values(matter, form, lookup.materials, wanted.key)
            if applicant and applicant.get("id_number") == wanted.key:
                values.setdefault("name", applicant.get("name"))
            override = (changed or {}).get((lookup.dataset, wanted.key), {})
            if override is None:
                records.append(FetchedRecord(key=wanted.key, found=False))
                continue
            values = {**values, **override}
            record = {f: values.get(f, f"{f} of {wanted.key}") for f in wanted.fields}
            records.append(
                FetchedRecord(
                    key=wanted.key,
                    found=True,
                    record=record,
                    version="2026-03-01T00:00:00Z",
                    digest="sha256:" + "0" * 64,
                )
            )
        answers.append(DatasetAnswer(**common, available=True, records=tuple(records), attempts=1))
    return RegisterLookupAnswered(
        lookup_key=request.lookup_key, matter=request.matter, answers=tuple(answers)
    )


def _agreeing_values(
    matter: Matter, form: Mapping[str, Any], materials: tuple[str, ...], key: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for code in (c for c in materials if c in {m.code for m in matter.materials}):
        material = matter.material(code)
        for found in (k for k in record_keys(material, form) if k.key == key):
            for name, path in material.match.items():
                reference = parse_reference(path)
                assert isinstance(reference, FormReference)
                for value in form_values(form, reference.path):
                    if value.indices == found.indices:
                        values[name] = value.value
            values.update(material.require)
    return values

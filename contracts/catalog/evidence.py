"""What the catalog says about evidence (材料): the register fields a material is fetched with
(only those some sub-task's input mapping or a check uses), the keys of its records a filled-in
form gives, and the holders of a certificate a sub-task issues."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts.catalog.inputs import (
    FormReference,
    OutputReference,
    SharedReference,
    form_values,
    parse_reference,
)
from contracts.catalog.model import CertificateSpec, Material, Matter

# The applicant's identity is checked in the same lookup as the materials, under this name
# among the lookup's materials, asking only for these fields.
IDENTITY = "applicant"
IDENTITY_FIELDS = frozenset({"name"})


def register_fields(matter: Matter, material: Material) -> frozenset[str]:
    """The fields of `material`'s register record OneWindow needs: those mapped into a
    sub-task's input, and those checked (`match`, `require`). Nothing else is asked for."""
    mapped = {
        reference.field
        for subtask in matter.subtasks
        for value in subtask.inputs.values()
        if isinstance(reference := parse_reference(value), SharedReference)
        and reference.material == material.code
    }
    return frozenset(mapped | set(material.match) | set(material.require))


@dataclass(frozen=True)
class RecordKey:
    """One record of a material: its key, the form field it was read from, and the indices
    taken at the path's `*` (a check pairs the record with the form's values by them)."""

    key: str
    at: str
    indices: tuple[int, ...]


def record_keys(material: Material, form: Mapping[str, Any]) -> list[RecordKey]:
    """The keys of `material`'s records in `form`, in form order, each once; empty when the
    form leaves them out (then the applicant brings the material)."""
    reference = parse_reference(material.record) if material.record else None
    if not isinstance(reference, FormReference):
        return []
    keys: dict[str, RecordKey] = {}
    for found in form_values(form, reference.path):
        if isinstance(found.value, str) and found.value.strip():
            key = found.value.strip()
            keys.setdefault(key, RecordKey(key, found.at, found.indices))
    return list(keys.values())


def listing(matter: Matter, material: str) -> list[str]:
    """The sub-tasks listing `material`, in catalog order."""
    return [s.code for s in matter.subtasks if material in s.materials]


@dataclass(frozen=True)
class Holder:
    id: str
    name: str


def holders(
    spec: CertificateSpec, form: Mapping[str, Any], outputs: Mapping[str, Mapping[str, Any]]
) -> list[Holder]:
    """Who holds the certificate `spec` describes: one holder per element at a `*`."""
    ids, names = _values(spec.holder, form, outputs), _values(spec.holder_name, form, outputs)
    return [
        Holder(str(i), str(n))
        for i, n in zip(ids, names, strict=False)
        if str(i).strip() and str(n).strip()
    ]


def _values(
    value: str, form: Mapping[str, Any], outputs: Mapping[str, Mapping[str, Any]]
) -> list[Any]:
    reference = parse_reference(value)
    if isinstance(reference, OutputReference):
        produced = outputs.get(reference.subtask, {})
        return [produced[reference.field]] if reference.field in produced else []
    if isinstance(reference, FormReference):
        return [found.value for found in form_values(form, reference.path)]
    return []


def field_title(schema: Mapping[str, Any], at: str) -> str:
    """The form field at the dotted path `at` (array indices included) as the applicant reads
    it: the titles on the way, e.g. 法定代表人·姓名; the path itself where titles are missing."""
    titles: list[str] = []
    node: Any = schema
    for part in at.split("."):
        node = _dereferenced(schema, node)
        if part.isdigit():
            node = node.get("items") if isinstance(node, Mapping) else None
            if titles:
                titles[-1] += f"（第{int(part) + 1}位）"
            continue
        properties = node.get("properties") if isinstance(node, Mapping) else None
        node = properties.get(part) if isinstance(properties, Mapping) else None
        node = _dereferenced(schema, node)
        title = node.get("title") if isinstance(node, Mapping) else None
        titles.append(str(title) if title else part)
    return "·".join(titles)


def _dereferenced(root: Mapping[str, Any], node: Any) -> Any:
    """A `$ref`'d schema node, its own keys (title…) winning over the target's."""
    while isinstance(node, Mapping) and str(node.get("$ref", "")).startswith("#/"):
        target: Any = root
        for part in str(node["$ref"])[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        rest = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **rest} if isinstance(target, Mapping) else None
    return node

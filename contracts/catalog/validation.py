"""Start-up checks of one matter beyond its types: the sub-task graph, mappings, the form schema."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator, SchemaError

from contracts.catalog.forms import FORMAT_CHECKER
from contracts.catalog.inputs import (
    EACH,
    FormReference,
    OutputReference,
    SharedReference,
    parse_reference,
)
from contracts.catalog.model import Material, Matter, Subtask
from contracts.departments import DEPARTMENTS
from contracts.registers import DATASETS


class CatalogError(ValueError):
    """The catalog cannot be used; names the file, the matter and the field at fault."""

    def __init__(self, source: str, matter: str, field: str, reason: str) -> None:
        self.source, self.matter, self.field, self.reason = source, matter, field, reason
        super().__init__(f"{source}: matter {matter!r}, field {field}: {reason}")


Fail = Callable[[str, str], CatalogError]


def check_matter(matter: Matter, source: str) -> None:
    def fail(field: str, reason: str) -> CatalogError:
        return CatalogError(source, matter.code, field, reason)

    for kind, codes in (
        ("subtasks", [s.code for s in matter.subtasks]),
        ("materials", [m.code for m in matter.materials]),
    ):
        for code in _duplicates(codes):
            raise fail(f"{kind}[{code}].code", f"duplicate code {code!r}")
    if matter.promised_days > matter.statutory_days:
        raise fail("promised_days", f"exceeds statutory_days ({matter.statutory_days})")
    _check_form_schema(matter.form, fail)
    declared = {s.code for s in matter.subtasks}
    materials = {m.code for m in matter.materials}
    for subtask in matter.subtasks:
        at = f"subtasks[{subtask.code}]"
        if subtask.department not in DEPARTMENTS:
            raise fail(
                f"{at}.department",
                f"unknown department {subtask.department!r}; known: {', '.join(DEPARTMENTS)}",
            )
        for code in (c for c in subtask.requires if c not in declared):
            raise fail(f"{at}.requires", f"unknown sub-task {code!r}")
        for code in (c for c in subtask.materials if c not in materials):
            raise fail(f"{at}.materials", f"material {code!r} is not declared in materials")
        for output in _duplicates(subtask.outputs):
            raise fail(f"{at}.outputs", f"duplicate output {output!r}")
        if subtask.certificate and subtask.certificate.number not in subtask.outputs:
            raise fail(
                f"{at}.certificate.number",
                f"{subtask.certificate.number!r} is not one of the sub-task's outputs",
            )
    cycle = _find_cycle(matter.subtasks)
    if cycle:
        raise fail(
            f"subtasks[{cycle[0]}].requires",
            f"dependency cycle {' → '.join(cycle)} (→ means requires)",
        )
    for material in matter.materials:
        _check_material(matter, material, fail)
    for subtask in matter.subtasks:
        _check_inputs(matter, subtask, fail)
        _check_certificate(matter, subtask, fail)


def _check_inputs(matter: Matter, subtask: Subtask, fail: Fail) -> None:
    for name, value in subtask.inputs.items():
        field = f"subtasks[{subtask.code}].inputs.{name}"
        reference = _reference(matter, subtask, value, field, fail)
        if isinstance(reference, SharedReference):
            _check_shared(matter, subtask, reference, field, fail)


def _reference(
    matter: Matter,
    subtask: Subtask | None,
    value: object,
    field: str,
    fail: Fail,
    *,
    own: bool = False,
) -> FormReference | OutputReference | SharedReference | None:
    """The reference `value` makes, checked: a form path the schema has, or an output a
    prerequisite of `subtask` declares (`own`: or `subtask` itself, for its certificate)."""
    try:
        reference = parse_reference(value)  # type: ignore[arg-type]  # any value may be given
    except ValueError as error:
        raise fail(field, str(error)) from None
    if isinstance(reference, FormReference):
        if not _schema_has(matter.form, reference.path):
            raise fail(field, f"{value!r}: the form schema has no property at that path")
    elif isinstance(reference, OutputReference):
        upstream = reference.subtask
        if upstream not in {s.code for s in matter.subtasks}:
            raise fail(field, f"{value!r}: no sub-task {upstream!r}")
        itself = own and subtask is not None and upstream == subtask.code
        if subtask is None or not (itself or upstream in matter.prerequisites(subtask.code)):
            of = f"of {subtask.code!r}" if subtask else "here"
            raise fail(
                field,
                f"{value!r}: {upstream!r} is not a prerequisite {of}, so its output may not"
                " exist yet",
            )
        if reference.field not in matter.subtask(upstream).outputs:
            raise fail(field, f"{value!r}: {upstream!r} declares no output {reference.field!r}")
    return reference


def _check_shared(
    matter: Matter, subtask: Subtask, reference: SharedReference, field: str, fail: Fail
) -> None:
    value = f"'$shared.{reference.material}.{reference.field}'"
    codes = {m.code: m for m in matter.materials}
    material = codes.get(reference.material)
    if material is None:
        raise fail(field, f"{value}: no material {reference.material!r}")
    dataset = material.register
    if dataset is None:
        raise fail(field, f"{value}: material {material.code!r} is not fetched from a register")
    if reference.field not in DATASETS[dataset].fields:
        known = ", ".join(DATASETS[dataset].fields)
        reason = f"{value}: register {dataset!r} has no field {reference.field!r} ({known})"
        raise fail(field, reason)
    if material.code not in subtask.materials:
        raise fail(
            field,
            f"{value}: material {material.code!r} is not among the sub-task's materials, so it"
            " is not fetched for it",
        )


def _check_material(matter: Matter, material: Material, fail: Fail) -> None:
    at = f"materials[{material.code}]"
    if not material.fetched:
        for name in ("record", "match", "require", "fallback"):
            if getattr(material, name):
                raise fail(f"{at}.{name}", f"only for a material fetched ({material.source!r})")
        return
    if material.certificate_kind and (material.match or material.require):
        name = "match" if material.match else "require"
        raise fail(f"{at}.{name}", "checks are made on register records: a shared: material's")
    if material.shared_dataset and material.fallback:
        raise fail(f"{at}.fallback", "only an e-certificate: material falls back on a register")
    for dataset in filter(None, (material.shared_dataset, material.register)):
        if dataset not in DATASETS:
            raise fail(
                f"{at}.source" if dataset == material.shared_dataset else f"{at}.fallback",
                f"unknown register {dataset!r}; known: {', '.join(DATASETS)}",
            )
    if material.record is None:
        raise fail(f"{at}.record", "a fetched material names its record's key: $form.<path>")
    record = _reference(matter, None, material.record, f"{at}.record", fail)
    if not isinstance(record, FormReference):
        reason = f"{material.record!r}: the key comes from the form: $form.<path>"
        raise fail(f"{at}.record", reason)
    fields = DATASETS[material.register].fields if material.register else ()
    for name, value in material.match.items():
        field = f"{at}.match.{name}"
        if name not in fields:
            raise fail(field, f"register {material.register!r} has no field {name!r}")
        form = _reference(matter, None, value, field, fail)
        if not isinstance(form, FormReference) or form.each != record.each:
            raise fail(
                field,
                f"{value!r}: a $form path with the same `{EACH}` as the record's"
                f" ({material.record!r})",
            )
    for name in material.require:
        if name not in fields:
            reason = f"register {material.register!r} has no field {name!r}"
            raise fail(f"{at}.require.{name}", reason)
    if not any(material.code in s.materials for s in matter.subtasks):
        raise fail(f"{at}.code", "no sub-task lists it, so it would be fetched for nothing")


def _check_certificate(matter: Matter, subtask: Subtask, fail: Fail) -> None:
    spec = subtask.certificate
    if spec is None:
        return
    at = f"subtasks[{subtask.code}].certificate"
    holder = _reference(matter, subtask, spec.holder, f"{at}.holder", fail, own=True)
    name = _reference(matter, subtask, spec.holder_name, f"{at}.holder_name", fail, own=True)
    if holder is None or name is None or isinstance(holder, SharedReference):
        raise fail(f"{at}.holder", "the holder is a $form path or an $outputs field")
    each = holder.each if isinstance(holder, FormReference) else ()
    if isinstance(name, SharedReference) or (
        (name.each if isinstance(name, FormReference) else ()) != each
    ):
        reason = f"a $form path or $outputs field paired with {spec.holder!r}"
        raise fail(f"{at}.holder_name", reason)


def _check_form_schema(schema: Mapping[str, Any], fail: Fail) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = ".".join(["form", *(str(p) for p in error.absolute_path)])
        raise fail(where, f"not a valid JSON Schema (2020-12): {error.message}") from None
    if schema.get("type") != "object":
        raise fail("form.type", "the unified form must be a JSON object schema (type: object)")
    for path, name in _formats(schema, ("form",)):
        if name not in FORMAT_CHECKER.checkers:
            raise fail(".".join(path), f"unknown format {name!r}")


def _formats(node: Any, path: tuple[str, ...]) -> Iterable[tuple[tuple[str, ...], str]]:
    if isinstance(node, Mapping):
        if isinstance(node.get("format"), str):
            yield (*path, "format"), node["format"]
        for key, child in node.items():
            yield from _formats(child, (*path, str(key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _formats(child, (*path, str(index)))


def _schema_has(schema: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = schema
    for part in path:
        node = _dereference(schema, node)
        if part == EACH:
            node = node.get("items") if isinstance(node, Mapping) else None
            if not isinstance(node, Mapping):
                return False
            continue
        properties = node.get("properties") if isinstance(node, Mapping) else None
        if not isinstance(properties, Mapping) or part not in properties:
            return False
        node = properties[part]
    return True


def _dereference(root: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and str(node.get("$ref", "")).startswith("#/"):
        target: Any = root
        for part in str(node["$ref"])[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        node = target
    return node


def _find_cycle(subtasks: Iterable[Subtask]) -> list[str] | None:
    requires = {s.code: s.requires for s in subtasks}
    finished: set[str] = set()
    trail: list[str] = []

    def visit(code: str) -> list[str] | None:
        trail.append(code)
        for needed in requires[code]:
            if needed in trail:
                return [*trail[trail.index(needed) :], needed]
            if needed not in finished:
                cycle = visit(needed)
                if cycle:
                    return cycle
        trail.pop()
        finished.add(code)
        return None

    for code in requires:
        if code not in finished:
            cycle = visit(code)
            if cycle:
                return cycle
    return None


def _duplicates(codes: Iterable[str]) -> list[str]:
    return [code for code, count in Counter(codes).items() if count > 1]

"""Start-up checks of one matter beyond its types: the sub-task graph, mappings, the form schema."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator, SchemaError

from contracts.catalog.forms import FORMAT_CHECKER
from contracts.catalog.inputs import OutputReference, parse_reference
from contracts.catalog.model import Matter, Subtask
from contracts.departments import DEPARTMENTS


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
    for subtask in matter.subtasks:
        _check_inputs(matter, subtask, fail)


def _check_inputs(matter: Matter, subtask: Subtask, fail: Fail) -> None:
    for name, value in subtask.inputs.items():
        field = f"subtasks[{subtask.code}].inputs.{name}"
        try:
            reference = parse_reference(value)
        except ValueError as error:
            raise fail(field, str(error)) from None
        if reference is None:
            continue
        if not isinstance(reference, OutputReference):
            if not _schema_has(matter.form, reference.path):
                raise fail(field, f"{value!r}: the form schema has no property at that path")
            continue
        upstream = reference.subtask
        if upstream not in {s.code for s in matter.subtasks}:
            raise fail(field, f"{value!r}: no sub-task {upstream!r}")
        if upstream not in matter.prerequisites(subtask.code):
            raise fail(
                field,
                f"{value!r}: {upstream!r} is not a prerequisite of "
                f"{subtask.code!r}, so its output may not exist yet",
            )
        if reference.field not in matter.subtask(upstream).outputs:
            raise fail(field, f"{value!r}: {upstream!r} declares no output {reference.field!r}")


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

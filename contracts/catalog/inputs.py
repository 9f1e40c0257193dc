"""A sub-task's input mapping: `$form.<path>`, `$outputs.<subtask>.<field>`,
`$shared.<material>.<field>` or a literal value. In a form path a `*` stands for each element
of an array: `$form.shareholders.*.id_number` is every shareholder's ID number, a list."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from contracts.catalog.model import InputValue, Subtask

FORM_PREFIX = "$form."
OUTPUTS_PREFIX = "$outputs."
SHARED_PREFIX = "$shared."
EACH = "*"


@dataclass(frozen=True)
class FormReference:
    path: tuple[str, ...]

    @property
    def each(self) -> tuple[str, ...]:
        """The path up to its last `*`: references with the same one pair element by element."""
        stars = [i for i, part in enumerate(self.path) if part == EACH]
        return self.path[: stars[-1] + 1] if stars else ()


@dataclass(frozen=True)
class OutputReference:
    subtask: str
    field: str


@dataclass(frozen=True)
class SharedReference:
    """A field of the register record a material was fetched as (a list for several records)."""

    material: str
    field: str


Reference = FormReference | OutputReference | SharedReference


@dataclass(frozen=True)
class Found:
    """A value a form path found: where (a dotted path, indices filled in), the indices it
    took at each `*`, and the value."""

    at: str
    indices: tuple[int, ...]
    value: Any


class MissingUpstreamOutput(LookupError):
    """At run time an upstream sub-task has not (yet) produced an output this sub-task maps."""

    def __init__(self, subtask: str, upstream: str, field: str) -> None:
        self.subtask, self.upstream, self.field = subtask, upstream, field
        super().__init__(
            f"sub-task {subtask!r} needs output {field!r} of {upstream!r},"
            " which has not produced it"
        )


def parse_reference(value: InputValue) -> Reference | None:
    """The reference a mapping value makes, None for a literal; ValueError if a `$` is malformed."""
    if not isinstance(value, str) or not value.startswith("$"):
        return None
    if value.startswith(FORM_PREFIX):
        path = tuple(value.removeprefix(FORM_PREFIX).split("."))
        if all(path):
            return FormReference(path)
    else:
        for prefix, make in ((OUTPUTS_PREFIX, OutputReference), (SHARED_PREFIX, SharedReference)):
            if value.startswith(prefix):
                parts = value.removeprefix(prefix).split(".")
                if len(parts) == 2 and all(parts) and EACH not in parts:
                    return make(parts[0], parts[1])
    raise ValueError(
        f"{value!r} is none of $form.<path>, $outputs.<subtask>.<field>,"
        " $shared.<material>.<field> (a literal must not start with '$')"
    )


def resolve_inputs(
    subtask: Subtask,
    form: Mapping[str, Any],
    outputs: Mapping[str, Mapping[str, Any]],
    shared: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The department's input for `subtask`: mapped form fields, upstream outputs, fields of
    fetched register records (`shared`: by material) and literals.

    A form field left empty (optional and absent) is left out of the input, and so is a
    register field of a material not fetched (the applicant brought it); a missing upstream
    output is an error, since the sub-task must not be dispatched before its prerequisites.
    """
    resolved: dict[str, Any] = {}
    for name, value in subtask.inputs.items():
        reference = parse_reference(value)
        if reference is None:
            resolved[name] = value
        elif isinstance(reference, OutputReference):
            produced = outputs.get(reference.subtask, {})
            if reference.field not in produced:
                raise MissingUpstreamOutput(subtask.code, reference.subtask, reference.field)
            resolved[name] = produced[reference.field]
        elif isinstance(reference, SharedReference):
            record = (shared or {}).get(reference.material, {})
            if reference.field in record:
                resolved[name] = record[reference.field]
        else:
            found = form_values(form, reference.path)
            if EACH in reference.path:
                resolved[name] = [f.value for f in found]
            elif found:
                resolved[name] = found[0].value
    return resolved


def form_values(form: Mapping[str, Any], path: tuple[str, ...]) -> list[Found]:
    """What `path` finds in `form`: nothing for an absent field, one value per element at a `*`."""
    return list(_walk(form, path, (), ()))


def _walk(
    node: Any, path: tuple[str, ...], at: tuple[str, ...], indices: tuple[int, ...]
) -> Iterator[Found]:
    if not path:
        yield Found(".".join(at), indices, node)
        return
    part, rest = path[0], path[1:]
    if part == EACH:
        if isinstance(node, list):
            for index, element in enumerate(node):
                yield from _walk(element, rest, (*at, str(index)), (*indices, index))
    elif isinstance(node, Mapping) and part in node:
        yield from _walk(node[part], rest, (*at, part), indices)

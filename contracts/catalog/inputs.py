"""A sub-task's input mapping: `$form.<path>`, `$outputs.<subtask>.<field>` or a literal value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts.catalog.model import InputValue, Subtask

FORM_PREFIX = "$form."
OUTPUTS_PREFIX = "$outputs."


@dataclass(frozen=True)
class FormReference:
    path: tuple[str, ...]


@dataclass(frozen=True)
class OutputReference:
    subtask: str
    field: str


class MissingUpstreamOutput(LookupError):
    """At run time an upstream sub-task has not (yet) produced an output this sub-task maps."""

    def __init__(self, subtask: str, upstream: str, field: str) -> None:
        self.subtask, self.upstream, self.field = subtask, upstream, field
        super().__init__(
            f"sub-task {subtask!r} needs output {field!r} of {upstream!r},"
            " which has not produced it"
        )


def parse_reference(value: InputValue) -> FormReference | OutputReference | None:
    """The reference a mapping value makes, None for a literal; ValueError if a `$` is malformed."""
    if not isinstance(value, str) or not value.startswith("$"):
        return None
    if value.startswith(FORM_PREFIX):
        path = tuple(value.removeprefix(FORM_PREFIX).split("."))
        if all(path):
            return FormReference(path)
    elif value.startswith(OUTPUTS_PREFIX):
        parts = value.removeprefix(OUTPUTS_PREFIX).split(".")
        if len(parts) == 2 and all(parts):
            return OutputReference(subtask=parts[0], field=parts[1])
    raise ValueError(
        f"{value!r} is neither $form.<path> nor $outputs.<subtask>.<field>"
        " (a literal must not start with '$')"
    )


def resolve_inputs(
    subtask: Subtask, form: Mapping[str, Any], outputs: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The department's input for `subtask`: mapped form fields, upstream outputs and literals.

    A form field left empty (optional and absent) is left out of the input; a missing upstream
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
        else:
            found, field = _lookup(form, reference.path)
            if found:
                resolved[name] = field
    return resolved


def _lookup(form: Mapping[str, Any], path: tuple[str, ...]) -> tuple[bool, Any]:
    node: Any = form
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node

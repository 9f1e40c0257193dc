"""schemathesis' hooks for intake (SCHEMATHESIS_HOOKS): a positive submission is sometimes
one of the catalog's valid examples, so the stateful phase has applications to follow its
links to (read, list, supplement, withdraw, hand in, collect, evaluate). Negative cases are
left as generated."""

from __future__ import annotations

import copy
import json
from typing import Any

import schemathesis
from hypothesis import strategies as st

from contracts.catalog import EXAMPLES_DIR

_VALID = [
    json.loads(path.read_text(encoding="utf-8"))
    | {"delivery": {"channel": "email", "address": "schemathesis@example.cn"}}
    for path in sorted(EXAMPLES_DIR.glob("*.json"))
]


def _with_body(case: Any, body: dict[str, Any]) -> Any:
    case.body = copy.deepcopy(body)
    return case


@schemathesis.hook
def flatmap_case(context: Any, case: Any) -> Any:
    operation = context.operation
    positive = case.meta is None or case.meta.generation.mode.is_positive
    if operation is None or not positive:
        return st.just(case)
    if (operation.method.upper(), operation.path) != ("POST", "/v1/applications"):
        return st.just(case)
    return st.one_of(st.just(case), st.sampled_from(_VALID).map(lambda b: _with_body(case, b)))

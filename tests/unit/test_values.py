"""What a value from outside must be (contracts/values.py), the form's number types, and
evaluations recorded before `recorded_by` existed."""

from __future__ import annotations

import copy
import json

from contracts.catalog import EXAMPLES_DIR, load_catalog
from contracts.events import ApplicationEvaluated, FollowUpOpened
from contracts.values import MAX_DEPTH, MAX_SAFE_INTEGER, printable, value_problems


def test_problems_are_named_by_path_keys_included() -> None:
    value = json.loads(
        '{"a": [1e400, "x\\u0000", {"k\\ud800": -9007199254740992}], "ok": [1.5, "文", true]}'
    )
    assert [(p.field, p.rule) for p in value_problems(value)] == [
        ("a.0", "finite_number"),
        ("a.1", "nul_character"),
        ("a.2.k\\ud800", "lone_surrogate"),
        ("a.2.k\\ud800", "safe_integer"),
    ]
    assert value_problems({"n": MAX_SAFE_INTEGER, "m": -MAX_SAFE_INTEGER, "f": 1e308}) == []


def test_nesting_is_bounded_without_recursion() -> None:
    deep: object = "x"
    for _ in range(100_000):  # far deeper than the interpreter's stack
        deep = [deep]
    (problem,) = value_problems(deep)
    assert (problem.field, problem.rule) == (".".join(["0"] * MAX_DEPTH), "max_depth")
    assert str(MAX_DEPTH) in problem.message
    within: object = []
    for _ in range(MAX_DEPTH - 1):
        within = [within]
    assert value_problems(within) == []


def test_printable_escapes_only_what_cannot_be_sent() -> None:
    assert printable("陈\x00\ud800x") == "陈\\u0000\\ud800x"


def test_a_forms_numbers_are_finite_and_integers_safe() -> None:
    matter = load_catalog().matter("business-startup")
    body = json.loads((EXAMPLES_DIR / "business-startup.json").read_text(encoding="utf-8"))
    for capital, employees, errors in (
        (float("inf"), 8, [("company.registered_capital", "type")]),
        (100, 10**400, [("company.employees", "type")]),
        (100, 1e300, [("company.employees", "type")]),  # integral, but past 2**53 - 1
        (1e300, 8.0, []),
    ):
        form = copy.deepcopy(body["form"])
        form["company"] |= {"registered_capital": capital, "employees": employees}
        assert [(e.field, e.rule) for e in matter.validate_form(form)] == errors, capital


def test_an_evaluation_recorded_before_the_field_is_the_applicants() -> None:
    assert ApplicationEvaluated.model_validate({"rating": 3}).recorded_by == "applicant"
    opened = {"case_id": "FU-1", "rating": 1, "time_limit_days": 5}
    assert FollowUpOpened.model_validate(opened).recorded_by == "applicant"

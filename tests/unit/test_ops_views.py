"""The ops console's pure parts: trace ids, who holds a clock, durations, the adapter's answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.ops.views import age, department_health, holder, trace_id

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize(
    ("traceparent", "expected"),
    [
        (f"00-{TRACE}-00f067aa0ba902b7-01", TRACE),
        (f" 00-{TRACE}-00f067aa0ba902b7-00 ", TRACE),
        (None, None),
        ("", None),
        (f"00-{TRACE}-00f067aa0ba902b7", None),  # no flags
        (f"00-{TRACE.upper()}-00f067aa0ba902b7-01", None),  # W3C: lowercase hex only
        (f"00-{'0' * 32}-00f067aa0ba902b7-01", None),  # the invalid all-zero trace id
    ],
)
def test_trace_id_is_the_second_part_of_a_valid_traceparent(
    traceparent: str | None, expected: str | None
) -> None:
    assert trace_id(traceparent) == expected


def test_holder_of_each_kind_of_clock() -> None:
    assert holder("subtask", "tax", ["hpf"]) == "tax"
    assert holder("application", None, ["tax", "hpf", "tax"]) == "hpf, tax"
    assert holder("application", None, []) == "—"
    assert holder("supplement", None, ["tax"]) == "applicant"
    assert holder("deficiency", None, []) == "applicant"
    assert holder("follow-up", None, []) == "hall (follow-up)"


def test_age_in_days_hours_minutes() -> None:
    start = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    assert age(start, start + timedelta(days=2, hours=3, minutes=59)) == "2 d 3 h"
    assert age(start, start + timedelta(hours=4, minutes=5)) == "4 h 5 min"
    assert age(start, start + timedelta(seconds=59)) == "0 min"
    assert age(start, start - timedelta(hours=1)) == "0 min"  # a clock behind never goes negative


def test_department_health_is_read_or_refused_naming_the_field() -> None:
    answer = {
        "tax": {
            "protocol": "soap",
            "breaker": "open",
            "in_flight": 2,
            "pending": 5,
            "last_error": "HTTP 503",
            "extra": "ignored",
        }
    }
    [(department, health)] = department_health(answer).items()
    assert (department, health.breaker, health.pending, health.last_error) == (
        "tax",
        "open",
        5,
        "HTTP 503",
    )
    with pytest.raises(ValueError, match=r"tax\.in_flight"):
        department_health(
            {"tax": {"protocol": "soap", "breaker": "open", "in_flight": "many", "pending": 0}}
        )
    with pytest.raises(ValueError, match="root"):
        department_health(["tax"])

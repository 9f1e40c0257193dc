"""dept_adapter's pure resilience parts: the circuit breaker on a fake clock, the back-off
(eventlog's one policy, configured per department) with Retry-After, and the departments
file validation."""

from __future__ import annotations

import pytest

from services.dept_adapter.domain.breaker import BreakerState, CircuitBreaker
from services.dept_adapter.domain.health import Health
from services.dept_adapter.settings import (
    BackoffSettings,
    DepartmentsConfigError,
    load_departments,
    parse_departments,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: FakeClock, probes: int = 1) -> CircuitBreaker:
    return CircuitBreaker(
        failure_threshold=3, open_seconds=10, half_open_probes=probes, clock=clock
    )


def test_breaker_opens_after_threshold_consecutive_failures_only() -> None:
    clock = FakeClock()
    b = breaker(clock)
    b.failed()
    b.failed()
    b.succeeded()  # a success resets the count
    b.failed()
    b.failed()
    assert b.state is BreakerState.CLOSED and b.allow()
    b.failed()
    assert b.state is BreakerState.OPEN
    assert not b.allow()
    clock.now += 9.99
    assert not b.allow() and b.state is BreakerState.OPEN


def test_breaker_half_open_lets_one_probe_then_closes_on_success() -> None:
    clock = FakeClock()
    b = breaker(clock)
    for _ in range(3):
        b.failed()
    clock.now += 10
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow()  # the probe
    assert not b.allow()  # only one at a time
    b.succeeded()
    assert b.state is BreakerState.CLOSED
    assert all(b.allow() for _ in range(5))


def test_breaker_failed_probe_reopens_for_a_full_window() -> None:
    clock = FakeClock()
    b = breaker(clock, probes=2)
    for _ in range(3):
        b.failed()
    clock.now += 10
    assert b.allow() and b.allow() and not b.allow()
    b.failed()
    assert b.state is BreakerState.OPEN
    assert b.reopens_at == clock.now + 10
    clock.now += 10
    assert b.state is BreakerState.HALF_OPEN


def health(roll: float, base: float = 0.2) -> Health:
    backoff = BackoffSettings(base_seconds=base, cap_seconds=5.0).policy(draw=lambda: roll)
    return Health(breaker(FakeClock()), backoff)


@pytest.mark.parametrize("attempt", [1, 2, 3, 5, 10, 100])
@pytest.mark.parametrize("roll", [0.0, 0.5, 0.999999])
def test_backoff_full_jitter_stays_within_exponential_bounds(attempt: int, roll: float) -> None:
    wait = health(roll).pause(attempt, retry_after=None)
    ceiling = min(5.0, 0.2 * 2 ** (attempt - 1))
    assert 0 <= wait < ceiling
    assert wait == pytest.approx(roll * ceiling)


def test_backoff_honours_retry_after_within_cap() -> None:
    assert health(0.0).pause(1, retry_after=1.0) == 1.0
    assert health(0.0).pause(1, retry_after=60.0) == 5.0
    assert health(0.999).pause(6, retry_after=0.1) == pytest.approx(0.999 * 5.0)
    assert health(0.5).pause(3, retry_after=None) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        health(0.5).pause(0, retry_after=None)


def test_a_base_above_the_cap_waits_up_to_the_cap_from_the_first_retry() -> None:
    assert health(0.5, base=9.0).pause(1, retry_after=None) == pytest.approx(2.5)
    assert health(0.5, base=9.0).pause(4, retry_after=None) == pytest.approx(2.5)


def test_the_shipped_departments_file_is_valid_and_leaves_psb_out() -> None:
    from services.dept_adapter.settings import HERE

    departments = load_departments(HERE / "departments.yaml")
    assert "psb" not in departments
    assert departments["tax"].protocol == "soap"
    assert departments["hrss"].protocol == "poll"
    assert departments["nrb"].protocol == "callback"
    assert departments["amr"].protocol == "rest" and departments["amr"].path == "/amr"


def test_department_fields_override_defaults_field_by_field() -> None:
    parsed = parse_departments(
        {
            "defaults": {"breaker": {"failure_threshold": 2, "open_seconds": 7}},
            "departments": {
                "amr": {"protocol": "rest", "path": "/amr", "breaker": {"open_seconds": 1}}
            },
        }
    )
    assert parsed["amr"].breaker.failure_threshold == 2
    assert parsed["amr"].breaker.open_seconds == 1


@pytest.mark.parametrize(
    ("departments", "message"),
    [
        (
            {"amr": {"protocol": "rest", "path": "/amr", "timeout_seconds": 0}},
            "'amr'.*timeout_seconds",
        ),
        ({"tax": {"protocol": "smoke-signals", "path": "/tax"}}, "'tax'.*protocol"),
        (
            {"hrss": {"protocol": "poll", "path": "/hrss", "breaker": {"open_seconds": -1}}},
            "'hrss'.*breaker.open_seconds",
        ),
        ({"nrb": {"protocol": "callback", "path": "/nrb", "colour": "red"}}, "'nrb'.*colour"),
        ({"psb": {"protocol": "rest", "path": "/psb"}}, "'psb'"),
        ({"xyz": {"protocol": "rest", "path": "/xyz"}}, "'xyz'"),
    ],
)
def test_invalid_department_config_names_department_and_field(
    departments: dict[str, object], message: str
) -> None:
    with pytest.raises(DepartmentsConfigError, match=message):
        parse_departments({"departments": departments})

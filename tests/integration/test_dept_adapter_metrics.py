"""dept_adapter's metrics against the real legacy_sim process and PostgreSQL: a filing the
legacy system first answers 500 is counted as one "unavailable" error and one answered
call, and each department's breaker shows in the registry /metrics serves."""

from __future__ import annotations

from runtime.metrics import REGISTRY
from tests.integration.dept_adapter_support import Adapter, adapter, legacy_sim

__all__ = ["adapter", "legacy_sim"]  # fixtures
CALL = {"department": "amr", "protocol": "rest", "call": "submit"}


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_each_legacy_call_is_timed_and_its_error_counted(adapter: Adapter) -> None:
    errors = "onewindow_adapter_call_errors_total"
    calls = "onewindow_adapter_call_duration_seconds_count"
    before = (value(errors, **CALL, kind="unavailable"), value(calls, **CALL, outcome="answered"))
    await adapter.configure("amr", fail_first=1)
    dispatched = await adapter.dispatch("amr", "amr-licence", materials=("articles",))
    await adapter.wait_for(dispatched.payload["filing_key"], "SubtaskCompleted")
    after = (value(errors, **CALL, kind="unavailable"), value(calls, **CALL, outcome="answered"))
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert value(calls, **CALL, outcome="retryable") >= 1
    state = "onewindow_adapter_circuit_state"
    assert {d: REGISTRY.get_sample_value(state, {"department": d}) for d in ("amr", "tax")} == {
        "amr": 0, "tax": 0,
    }  # fmt: skip

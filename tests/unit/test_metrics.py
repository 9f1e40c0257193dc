"""The logic behind the metrics: lags, the breaker gauge, how a legacy call is classified,
what the router's new events measure, and that docs/metrics.md lists every metric."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import TopicPartition

from contracts.envelope import Envelope, Event
from contracts.events import (
    Delivery,
    OutcomeDecided,
    ResultRecorded,
    SubtaskAccepted,
    SubtaskCompleted,
    SubtaskDispatched,
    SubtaskRejected,
    TimeLimitExceeded,
    TimeLimitWarned,
)
from eventlog.relay import relay_lag
from runtime.http_client import Response, TimedOut, Unreachable, Unsendable
from runtime.metrics import (
    REGISTRY,
    SHARED_METRICS,
    exported_series,
    measure_consumer_lag,
    partition_lag,
)
from services.dept_adapter import metrics as adapter_metrics
from services.dept_adapter.adapters.legacy import exchange
from services.dept_adapter.domain import answers
from services.dept_adapter.domain.breaker import BreakerState, CircuitBreaker
from services.dept_adapter.domain.measures import BREAKER_GAUGE, call_outcome
from services.dept_adapter.domain.outcomes import Answer, Cancelled, Processing, Retryable
from services.intake import metrics as intake_metrics
from services.notifier import metrics as notifier_metrics
from services.router import metrics as router_metrics
from services.router.domain.events import ProcessStarted
from services.router.domain.measures import Answered, Decided, Marked, measures

ROOT = Path(__file__).parents[2]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# lags


def test_partition_lag_is_unknown_until_both_offsets_are_known_and_never_negative() -> None:
    assert partition_lag(None, 5) is None and partition_lag(10, None) is None
    assert partition_lag(10, 4) == 6
    assert partition_lag(10, 10) == 0
    # a position beyond the log end (the broker lost data): every record there waits
    assert partition_lag(10, 12) == 10


def test_relay_lag_is_newest_position_minus_checkpoint() -> None:
    assert relay_lag(newest=120, checkpoint=100) == 20
    assert relay_lag(newest=100, checkpoint=100) == 0
    assert relay_lag(newest=0, checkpoint=0) == 0
    assert relay_lag(newest=90, checkpoint=100) == 0  # rewound past the end: nothing pending


class FakeConsumer:
    """The part of an aiokafka consumer the lag reads: assignment, high watermark, position."""

    def __init__(self, offsets: dict[TopicPartition, tuple[int | None, int]]) -> None:
        self.offsets = offsets

    def assignment(self) -> set[TopicPartition]:
        return set(self.offsets)

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.offsets[tp][0]

    async def position(self, tp: TopicPartition) -> int:
        return self.offsets[tp][1]


async def test_consumer_lag_per_partition_forgets_partitions_given_up() -> None:
    group = f"test-{uuid4().hex[:8]}"
    a0, a1, b0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)
    consumer = FakeConsumer({a0: (10, 4), a1: (7, 7), b0: (None, 0)})
    await measure_consumer_lag([(group, consumer)])

    lag = "onewindow_consumer_lag_records"
    assert REGISTRY.get_sample_value(lag, {"group": group, "topic": "a", "partition": "0"}) == 6
    assert REGISTRY.get_sample_value(lag, {"group": group, "topic": "a", "partition": "1"}) == 0
    # nothing fetched from b-0 yet: no value rather than a made-up one
    assert REGISTRY.get_sample_value(lag, {"group": group, "topic": "b", "partition": "0"}) is None

    del consumer.offsets[a0]  # a rebalance took a-0 away
    await measure_consumer_lag([(group, consumer)])
    assert REGISTRY.get_sample_value(lag, {"group": group, "topic": "a", "partition": "0"}) is None
    assert REGISTRY.get_sample_value(lag, {"group": group, "topic": "a", "partition": "1"}) == 0

    await measure_consumer_lag([(group, None)])  # stopped
    assert REGISTRY.get_sample_value(lag, {"group": group, "topic": "a", "partition": "1"}) is None


# dept_adapter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeWorker:
    def __init__(self, breaker: CircuitBreaker) -> None:
        self.breaker = breaker


def test_breaker_gauge_reads_closed_half_open_open_as_0_1_2_at_each_scrape() -> None:
    assert {s: BREAKER_GAUGE[s] for s in BreakerState} == {
        BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2,
    }  # fmt: skip
    clock, department = FakeClock(), f"d{uuid4().hex[:6]}"
    breaker = CircuitBreaker(failure_threshold=2, open_seconds=10, half_open_probes=1, clock=clock)
    adapter_metrics.watch_breakers({department: FakeWorker(breaker)})
    state = "onewindow_adapter_circuit_state"
    assert REGISTRY.get_sample_value(state, {"department": department}) == 0
    breaker.failed()
    breaker.failed()
    assert REGISTRY.get_sample_value(state, {"department": department}) == 2
    clock.now += 10  # no call needed: the scrape sees the breaker half-open by time
    assert REGISTRY.get_sample_value(state, {"department": department}) == 1
    breaker.succeeded()
    assert REGISTRY.get_sample_value(state, {"department": department}) == 0


async def _raising(exc: Exception) -> Response:
    raise exc


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (TimedOut("slow"), ("retryable", "timeout")),
        (Unreachable("refused"), ("retryable", "connection")),
        (Unsendable("ftp"), ("terminal", "terminal")),
    ],
)
async def test_a_failed_exchange_is_classified_by_kind(
    raised: Exception, expected: tuple[str, str]
) -> None:
    answer = await exchange(lambda: _raising(raised), answers.submitted)
    assert call_outcome(answer) == expected


def test_answers_of_the_legacy_system_are_classified() -> None:
    unavailable = answers.submitted(503, b"{}", "2")
    refused = answers.submitted(400, b'{"error": "bad"}', None)
    assert call_outcome(unavailable) == ("retryable", "unavailable")
    assert call_outcome(refused) == ("terminal", "terminal")
    assert call_outcome(Processing()) == ("answered", None)
    assert call_outcome(Cancelled("R1")) == ("answered", None)


class FakeLegacy:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer

    async def submit(self, filing: Any) -> Answer:
        return self.answer

    async def poll(self, receipt: str) -> Answer:
        return self.answer

    async def cancel(self, receipt: str) -> Answer:
        return self.answer


async def test_every_legacy_call_is_timed_and_errors_are_counted_by_kind() -> None:
    department = f"d{uuid4().hex[:6]}"
    labels = {"department": department, "protocol": "poll", "call": "poll"}
    failing = adapter_metrics.MeasuredLegacySystem(
        FakeLegacy(Retryable("time-out: ReadTimeout")), department, "poll"
    )
    answering = adapter_metrics.MeasuredLegacySystem(FakeLegacy(Processing()), department, "poll")
    assert await failing.poll("R1") == Retryable("time-out: ReadTimeout")
    await failing.poll("R1")
    await answering.poll("R1")
    duration = "onewindow_adapter_call_duration_seconds_count"
    assert value(duration, **labels, outcome="retryable") == 2
    assert value(duration, **labels, outcome="answered") == 1
    assert value("onewindow_adapter_call_errors_total", **labels, kind="timeout") == 2
    assert value("onewindow_adapter_call_errors_total", **labels, kind="terminal") == 0


# router


def recorded(event: Event, at: datetime, application_id: Any) -> Envelope:
    envelope = Envelope.new(event, application_id=application_id, producer="router")
    return envelope.model_copy(update={"occurred_at": at})


def result(event: Event, application_id: Any) -> dict[str, Any]:
    envelope = Envelope.new(event, application_id=application_id, producer="dept_adapter")
    return envelope.model_dump(mode="json")


def process_log(matter: str) -> tuple[Any, list[Envelope], list[Envelope]]:
    """A process: started, amr dispatched; then amr completes, tax is answered for a
    dispatch the log does not hold, a warning, an overdue and the outcome are recorded."""
    app, delivery = uuid4(), Delivery(channel="email", address="chen@example.cn")
    key = f"{app}:amr-licence:1"
    history = [
        recorded(
            ProcessStarted(
                matter=matter, receipt_number="YC1", applicant_name="陈", delivery=delivery,
                form={}, submitted_at=T0 - timedelta(minutes=5),
            ),
            T0, app,
        ),
        recorded(
            SubtaskDispatched(
                subtask="amr-licence", department="amr", title="执照", filing_key=key,
                inputs={}, time_limit_days=1,
            ),
            T0, app,
        ),
    ]  # fmt: skip
    marks = {
        "clock": "subtask", "clock_id": "amr-licence", "limit": "own", "department": "amr",
        "limit_days": 1, "started_at": T0, "due_at": T0 + timedelta(days=1),
    }  # fmt: skip
    done = SubtaskCompleted(subtask="amr-licence", department="amr", filing_key=key)
    accepted = SubtaskAccepted(
        subtask="amr-licence", department="amr", filing_key=key, legacy_receipt="R1"
    )
    unknown = SubtaskRejected(
        subtask="tax-invoicing", department="tax", filing_key=f"{app}:tax:1", reason="no"
    )
    new = [
        recorded(ResultRecorded(result=result(accepted, app)), T0 + timedelta(minutes=1), app),
        recorded(ResultRecorded(result=result(done, app)), T0 + timedelta(minutes=30), app),
        recorded(ResultRecorded(result=result(unknown, app)), T0 + timedelta(minutes=31), app),
        recorded(TimeLimitWarned(**marks), T0 + timedelta(hours=2), app),
        recorded(TimeLimitExceeded(**{**marks, "clock": "application", "department": None}),
                 T0 + timedelta(hours=3), app),
        recorded(
            OutcomeDecided(
                matter=matter, matter_name="企业开办", receipt_number="YC1",
                applicant_name="陈", delivery=delivery, decision="approved",
            ),
            T0 + timedelta(hours=4), app,
        ),
    ]  # fmt: skip
    return app, history, new


def test_router_measures_each_new_fact_with_its_durations_on_the_routers_clock() -> None:
    _, history, new = process_log("business-startup")
    assert measures(history, new) == [
        Answered("amr", "completed", 30 * 60.0),  # from the dispatch with its filing key
        Marked("warned", "subtask", "own", "amr"),
        Marked("exceeded", "application", "own", ""),
        Decided("business-startup", "approved", 4 * 3600.0 + 5 * 60),  # from the submission
    ]
    assert measures(history, []) == []  # only what was just appended counts
    assert measures([*history, *new], []) == []


def test_router_counts_what_it_measures_once() -> None:
    matter = f"m-{uuid4().hex[:6]}"
    _, history, new = process_log(matter)
    router_metrics.count(history, new)
    assert value("onewindow_applications_completed_total", matter=matter, decision="approved") == 1
    assert value("onewindow_time_to_result_seconds_count", matter=matter) == 1
    assert value("onewindow_time_to_result_seconds_sum", matter=matter) == 4 * 3600 + 5 * 60


# what is exported, and documented


def families(metrics: frozenset[str]) -> set[str]:
    return {re.sub(r"_(total|created|bucket|sum|count)$", "", m) for m in metrics}


def test_every_service_metric_is_exported_and_documented() -> None:
    own = (
        intake_metrics.METRICS
        | router_metrics.METRICS
        | adapter_metrics.METRICS
        | notifier_metrics.METRICS
    )
    assert own | SHARED_METRICS <= exported_series()
    assert "onewindow_applications_submitted_total" in intake_metrics.METRICS
    assert "onewindow_time_to_result_seconds_bucket" in router_metrics.METRICS
    assert "onewindow_consumer_records_total" in SHARED_METRICS
    documented = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    listed = families(frozenset(re.findall(r"`(onewindow_[a-z_]+)`", documented)))
    exported = families(own | SHARED_METRICS)
    ours = {f for f in exported if f.startswith("onewindow_")}
    assert ours - listed == set(), "exported but not in docs/metrics.md"
    assert listed - ours == set(), "in docs/metrics.md but not exported"


def test_notifier_counts_each_recorded_delivery_by_channel_and_result() -> None:
    from contracts.events import NoticeDelivered, NoticeDeliveryFailed

    def counted(result: str) -> float:
        return value(
            "onewindow_notifier_deliveries_total", channel="sms", notice="lapse", result=result
        )

    before = counted("failed"), counted("delivered")
    notifier_metrics.count_delivery(
        NoticeDeliveryFailed(
            notice="lapse", notice_key="k1", channel="sms", recipient="138****0000",
            attempts=3, error="gateway down",
        )
    )  # fmt: skip
    notifier_metrics.count_delivery(
        NoticeDelivered(
            notice="lapse", notice_key="k2", channel="sms", recipient="138****0000",
            attempts=1, delivered_at=T0,
        )
    )  # fmt: skip
    assert (counted("failed") - before[0], counted("delivered") - before[1]) == (1, 1)

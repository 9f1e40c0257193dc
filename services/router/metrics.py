"""router's own metrics (docs/metrics.md), counted from the events it just recorded, after
they committed (services/router/domain/measures.py); the shared ones: runtime/metrics.py."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter, Histogram

from contracts.envelope import Envelope
from runtime.metrics import REGISTRY, series_names
from services.router.domain.measures import Answered, Decided, Marked, measures

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
# From seconds (a simulated department) to weeks (time limits count working days).
DURATION_BUCKETS = (
    1.0, 5.0, 15.0, MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 4 * HOUR, 8 * HOUR,
    DAY, 2 * DAY, 3 * DAY, 5 * DAY, 10 * DAY, 20 * DAY, 30 * DAY, 60 * DAY,
)  # fmt: skip

COMPLETED = Counter(
    "onewindow_applications_completed",
    "Applications decided: the one result, or their end (OutcomeDecided).",
    ["matter", "decision"],
    registry=REGISTRY,
)
TIME_TO_RESULT = Histogram(
    "onewindow_time_to_result_seconds",
    "Seconds from an application's submission to its outcome, pauses included.",
    ["matter"],
    buckets=DURATION_BUCKETS,
    registry=REGISTRY,
)
SUBTASK_DURATION = Histogram(
    "onewindow_subtask_duration_seconds",
    "Seconds from a sub-task's dispatch to its department's answer (completed, rejected,"
    " failed or a supplement request).",
    ["department", "answer"],
    buckets=DURATION_BUCKETS,
    registry=REGISTRY,
)
TIME_LIMIT_WARNINGS = Counter(
    "onewindow_time_limit_warnings",
    "Time limits 80 % used (TimeLimitWarned), once per clock and limit.",
    ["clock", "limit", "department"],
    registry=REGISTRY,
)
TIME_LIMIT_OVERDUES = Counter(
    "onewindow_time_limit_overdues",
    "Time limits exceeded (TimeLimitExceeded), once per clock and limit.",
    ["clock", "limit", "department"],
    registry=REGISTRY,
)

METRICS = series_names(
    COMPLETED, TIME_TO_RESULT, SUBTASK_DURATION, TIME_LIMIT_WARNINGS, TIME_LIMIT_OVERDUES
)


def count(history: Sequence[Envelope], new: Sequence[Envelope]) -> None:
    """Count what `new` says; call it once `new` is committed after `history`."""
    for measure in measures(history, new):
        match measure:
            case Decided(matter, decision, seconds):
                COMPLETED.labels(matter, decision).inc()
                if seconds is not None:
                    TIME_TO_RESULT.labels(matter).observe(seconds)
            case Answered(department, answer, seconds):
                SUBTASK_DURATION.labels(department, answer).observe(seconds)
            case Marked("warned", clock, limit, department):
                TIME_LIMIT_WARNINGS.labels(clock, limit, department).inc()
            case Marked(_, clock, limit, department):
                TIME_LIMIT_OVERDUES.labels(clock, limit, department).inc()

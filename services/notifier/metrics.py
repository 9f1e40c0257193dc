"""notifier's own metrics (docs/metrics.md); the shared ones are in runtime/metrics.py."""

from __future__ import annotations

from prometheus_client import Counter

from contracts.envelope import Event
from contracts.events import NoticeDelivered, NoticeDeliveryFailed
from runtime.metrics import REGISTRY, series_names

DELIVERIES = Counter(
    "onewindow_notifier_deliveries",
    "Notices whose delivery ended, once each: result delivered or failed (after its retries).",
    ["channel", "notice", "result"],
    registry=REGISTRY,
)

METRICS = series_names(DELIVERIES)


def count_delivery(outcome: Event) -> None:
    """Count a recorded delivery outcome; call it once the record committed."""
    if isinstance(outcome, NoticeDelivered):
        DELIVERIES.labels(outcome.channel, outcome.notice, "delivered").inc()
    elif isinstance(outcome, NoticeDeliveryFailed):
        DELIVERIES.labels(outcome.channel, outcome.notice, "failed").inc()

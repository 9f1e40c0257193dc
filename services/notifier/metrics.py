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

WEBHOOK_TARGETS_REFUSED = Counter(
    "onewindow_notifier_webhook_targets_refused",
    "Sends to an applicant's webhook refused by the target policy, before any byte was sent:"
    " on its URL, or at connect time on an address the name resolved to.",
    ["stage"],
    registry=REGISTRY,
)

METRICS = series_names(DELIVERIES, WEBHOOK_TARGETS_REFUSED)


def count_delivery(outcome: Event) -> None:
    """Count a recorded delivery outcome; call it once the record committed."""
    if isinstance(outcome, NoticeDelivered):
        DELIVERIES.labels(outcome.channel, outcome.notice, "delivered").inc()
    elif isinstance(outcome, NoticeDeliveryFailed):
        DELIVERIES.labels(outcome.channel, outcome.notice, "failed").inc()

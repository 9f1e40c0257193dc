"""intake's own metrics (docs/metrics.md); the shared ones are in runtime/metrics.py."""

from __future__ import annotations

from prometheus_client import Counter

from runtime.metrics import REGISTRY, series_names

SUBMITTED = Counter(
    "onewindow_applications_submitted",
    "Applications filed, once each (an idempotent repeat of a submission is not counted).",
    ["matter", "channel"],
    registry=REGISTRY,
)

METRICS = series_names(SUBMITTED)

"""Prometheus metrics: one registry per process, served at /metrics by every service.

Here live the metrics every service has: what its consumers did, the relay's lag, the
consumers' lag, its parts' restarts and the process's own. Each service defines its domain
metrics once, in its own `metrics.py`, in this same registry, and lists their series in
`METRICS`; a service exports `SHARED_METRICS | METRICS` (docs/metrics.md lists them all).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from aiokafka.errors import IllegalStateError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase

__all__ = ["CONTENT_TYPE_LATEST", "REGISTRY", "SHARED_METRICS"]

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

RELAY_LAG = Gauge(
    "onewindow_relay_lag_events",
    "Events in the service's log not yet published to Kafka: newest position - relay checkpoint.",
    ["service"],
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "onewindow_consumer_lag_records",
    "Records of a partition the consumer group has not consumed yet: high watermark - position.",
    ["group", "topic", "partition"],
    registry=REGISTRY,
)
CONSUMED = Counter(
    "onewindow_consumer_records_total",
    "Records a consumer group dealt with, by outcome: processed (new, handled and committed),"
    " duplicate (seen before, dropped by the inbox), dead_lettered.",
    ["group", "outcome"],
    registry=REGISTRY,
)
CONSUMER_FAILURES = Counter(
    "onewindow_consumer_failures_total",
    "Failed attempts to handle records, by kind: transient (database or broker away; the"
    " batch comes again) or handler (counted toward the event's dead-lettering).",
    ["group", "kind"],
    registry=REGISTRY,
)
PART_RESTARTS = Counter(
    "onewindow_part_restarts_total",
    "Restarts of a supervised part of a service (relay, consumer, worker) after it failed.",
    ["service", "part"],
    registry=REGISTRY,
)
PART_UP = Gauge(
    "onewindow_part_up",
    "1 while a supervised part of the service runs, 0 while it waits to be restarted.",
    ["service", "part"],
    registry=REGISTRY,
)
BROKER_DATA_LOSS = Counter(
    "onewindow_relay_broker_data_loss_total",
    "Times the relay found that the broker lost events it had acknowledged, and republished.",
    ["service"],
    registry=REGISTRY,
)
POSITION_TIMEOUT_SECONDS = 0.5

# The series a scrape can show for each family type (counters and histograms have several).
_SERIES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
}


def series_names(*metrics: MetricWrapperBase) -> frozenset[str]:
    """The names a scrape can show for these metrics, e.g. `x_total` for counter `x`."""
    return frozenset(
        family.name + suffix
        for metric in metrics
        for family in metric.describe()
        for suffix in _SERIES.get(family.type, ("",))
    )


def exported_series(registry: CollectorRegistry = REGISTRY) -> frozenset[str]:
    """Every series name the registry can show, including families with no sample yet."""
    return frozenset(
        family.name + suffix
        for family in registry.collect()
        for suffix in _SERIES.get(family.type, ("",))
    )


SHARED_METRICS = exported_series()


def partition_lag(highwater: int | None, position: int | None) -> int | None:
    """Records not consumed yet; None while either offset is unknown (nothing fetched yet).
    A position beyond the log end (the broker lost data) leaves every record waiting."""
    if highwater is None or position is None:
        return None
    return highwater - position if position <= highwater else highwater


_measured: dict[str, set[tuple[str, str]]] = {}


async def measure_consumer_lag(consumers: Iterable[tuple[str, Any]]) -> None:
    """Set the lag of every partition each group's consumer holds now, and forget the
    partitions it gave up (a rebalance, a stop). Called at each scrape with every group and
    its running aiokafka consumer (None while it is not running)."""
    for group, consumer in consumers:
        lags = await _lags(consumer) if consumer is not None else {}
        for topic, partition in _measured.get(group, set()) - lags.keys():
            CONSUMER_LAG.remove(group, topic, partition)
        for (topic, partition), lag in lags.items():
            CONSUMER_LAG.labels(group, topic, partition).set(lag)
        _measured[group] = set(lags)


async def _lags(consumer: Any) -> dict[tuple[str, str], int]:
    lags: dict[tuple[str, str], int] = {}
    for tp in consumer.assignment():
        try:
            highwater = consumer.highwater(tp)
            position = await asyncio.wait_for(consumer.position(tp), POSITION_TIMEOUT_SECONDS)
        except (AssertionError, IllegalStateError, TimeoutError):
            continue  # revoked meanwhile, or its position is being reset: not measurable now
        lag = partition_lag(highwater, position)
        if lag is not None:
            lags[(tp.topic, str(tp.partition))] = lag
    return lags


async def scrape(consumers: Iterable[tuple[str, Any]]) -> bytes:
    """The registry in Prometheus' text format, the consumers' lag measured just now."""
    await measure_consumer_lag(consumers)
    return generate_latest(REGISTRY)

"""Prometheus metrics: one registry per process, served at /metrics by every service.

Here live the metrics every service has: FastStream's broker metrics, the relay's lag, the
consumers' lag and the process's own. Each service defines its domain metrics once, in its
own `metrics.py`, in this same registry, and lists their series in `METRICS`; a service
exports `SHARED_METRICS | METRICS` (docs/metrics.md lists them all).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from aiokafka.errors import IllegalStateError
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
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
POSITION_TIMEOUT_SECONDS = 0.5

# The series a scrape can show for each family type (counters and histograms have several).
_SERIES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
}


def broker_metrics(service: str) -> KafkaPrometheusMiddleware:
    """FastStream's metrics of one service's broker. Every instance shares the same series
    (`app_name` tells the services apart). With batch subscribers a batch counts as its
    records, all under the topic of its first record (the `handler` label)."""
    return KafkaPrometheusMiddleware(registry=REGISTRY, app_name=service)


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


broker_metrics("onewindow")  # registers FastStream's families now, so they are listed
SHARED_METRICS = exported_series()


def partition_lag(highwater: int | None, position: int | None) -> int | None:
    """Records not consumed yet; None while either offset is unknown (nothing fetched yet)."""
    if highwater is None or position is None:
        return None
    return max(highwater - position, 0)


_measured: dict[str, set[tuple[str, str]]] = {}


async def measure_consumer_lag(subscribers: Iterable[object]) -> None:
    """Set the lag of every partition each group's consumer holds now, and forget the
    partitions it gave up (a rebalance, a stop). Called at each scrape with the broker's
    subscribers: FastStream's Kafka subscribers name their `group_id` and hold the aiokafka
    `consumer` while they run."""
    for subscriber in subscribers:
        group: str | None = getattr(subscriber, "group_id", None)
        if group is None:
            continue
        consumer = getattr(subscriber, "consumer", None)
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


async def scrape(subscribers: Iterable[object]) -> bytes:
    """The registry in Prometheus' text format, the consumers' lag measured just now."""
    await measure_consumer_lag(subscribers)
    return generate_latest(REGISTRY)

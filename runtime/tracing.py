"""OpenTelemetry tracing: one trace per application, from the HTTP submit to the notice.

The context travels in each event's envelope (`traceparent`, W3C) and so in the Kafka
headers. A consumer handles each event in a span parented on the event's traceparent, and
the events a handler appends carry that span's traceparent (Envelope.new takes the current
span), so every hop of an application stays in the trace its submission started.

Configured by the standard variables: OTEL_SDK_DISABLED, OTEL_SERVICE_NAME (default: the
service's name), OTEL_TRACES_EXPORTER (otlp, console, none; default otlp),
OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT and the exporter's other OTEL_EXPORTER_OTLP_* variables.
Without an endpoint nothing is exported and spans are not recorded, but they still have
their ids, so trace ids are in envelopes and logs all the same.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from contracts.envelope import Envelope
from eventlog.inbox import Handler
from eventlog.spans import recorded
from eventlog.unit_of_work import UnitOfWork

EXPORTERS = frozenset({"otlp", "console", "none"})
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_W3C = TraceContextTextMapPropagator()


class TracingConfigError(ValueError):
    """An OTEL_ variable with a value this service cannot use; the message names it."""


def tracer() -> trace.Tracer:
    return trace.get_tracer("onewindow")


def configure_tracing(service: str) -> TracerProvider | None:
    """Install the process's tracer provider; None when OTEL_SDK_DISABLED=true."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    named = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service}
    exporters = span_exporters(os.environ)
    # Spans nobody exports are not recorded (they cost nothing), yet every one still has its
    # ids: trace ids travel in envelopes and log lines all the same.
    unexported = not exporters and not os.environ.get("OTEL_TRACES_SAMPLER")
    provider = TracerProvider(
        resource=Resource.create(named), sampler=ALWAYS_OFF if unexported else None
    )
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def span_exporters(environ: Mapping[str, str]) -> list[SpanExporter]:
    names = {n.strip().lower() for n in environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")}
    names.discard("")
    if unknown := names - EXPORTERS:
        raise TracingConfigError(
            f"OTEL_TRACES_EXPORTER: unknown {', '.join(sorted(unknown))}; "
            f"use {', '.join(sorted(EXPORTERS))}"
        )
    exporters: list[SpanExporter] = []
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if "otlp" in names and endpoint:
        protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get(
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
        )
        if protocol != "http/protobuf":
            raise TracingConfigError(
                f"OTEL_EXPORTER_OTLP_PROTOCOL: {protocol!r} is not supported; use http/protobuf"
            )
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter())
    if "console" in names:
        exporters.append(ConsoleSpanExporter(out=sys.stderr))  # stdout carries the JSON logs
    return exporters


def context_of(traceparent: str | None) -> Context:
    """The context a W3C traceparent names; an empty one (a new trace) when there is none."""
    return _W3C.extract({"traceparent": traceparent}) if traceparent else Context()


def inject_trace_context(headers: MutableMapping[str, str]) -> None:
    """Add the current span's `traceparent` (W3C) to an outgoing request's headers."""
    _W3C.inject(headers)


def links_to(traceparents: Iterable[str | None]) -> list[Link]:
    spans = (trace.get_current_span(context_of(tp)).get_span_context() for tp in traceparents)
    return [Link(span) for span in spans if span.is_valid]


@contextmanager
def continuing(
    name: str,
    traceparent: str | None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
    links: Iterable[Link] = (),
) -> Iterator[Span]:
    """A current span that continues the trace `traceparent` names (whatever span is current
    now, e.g. a batch's or a request's, becomes a link instead of the parent). Where spans
    are not recorded, none is made: the trace `traceparent` names is made current as it is."""
    if not recorded():
        with trace.use_span(trace.get_current_span(context_of(traceparent))) as span:
            yield span
        return
    now = trace.get_current_span().get_span_context()
    links = [*links, *([Link(now)] if now.is_valid else [])]
    with tracer().start_as_current_span(
        name, context=context_of(traceparent), kind=kind, attributes=attributes, links=links
    ) as span:
        yield span


def traced(consumer_group: str, handle: Handler) -> Handler:
    """Each event handled in a consumer span that is a child of the event's traceparent
    (when spans are recorded at all)."""

    async def handle_in_span(envelope: Envelope, uow: UnitOfWork) -> None:
        if not recorded():
            await handle(envelope, uow)
            return
        attributes = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.consumer.group.name": consumer_group,
            "messaging.message.id": str(envelope.event_id),
            "onewindow.event_type": envelope.event_type,
            "onewindow.application_id": str(envelope.application_id),
        }
        with continuing(
            f"process {envelope.event_type}",
            envelope.traceparent,
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        ):
            await handle(envelope, uow)

    return handle_in_span


def untraced(scope: MutableMapping[str, Any]) -> bool:
    """HTTP requests left out of tracing: probes and scrapes."""
    return scope.get("path") in UNTRACED_PATHS

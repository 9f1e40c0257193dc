"""Tracing without I/O: log lines carry the current span, envelopes take its traceparent,
and the OTEL_ variables choose the exporters (none without an endpoint)."""

from __future__ import annotations

import json
import logging

import pytest
import structlog
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter
from uuid6 import uuid7

from contracts.envelope import Envelope
from contracts.events import SubtaskCompleted
from runtime.logs import add_trace_context, configure_logging
from runtime.tracing import TracingConfigError, context_of, span_exporters

TRACER = TracerProvider().get_tracer("test")  # not the global one: no other test is touched
CAUSE_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def completed() -> SubtaskCompleted:
    return SubtaskCompleted(subtask="amr-licence", department="amr", filing_key="k:amr:1")


def test_a_log_line_carries_the_current_span_and_none_outside_one() -> None:
    with TRACER.start_as_current_span("handle") as span:
        inside = add_trace_context(None, "info", {"event": "x"})
    ids = span.get_span_context()
    assert inside == {
        "event": "x",
        "trace_id": f"{ids.trace_id:032x}",
        "span_id": f"{ids.span_id:016x}",
    }
    assert add_trace_context(None, "info", {"event": "y"}) == {"event": "y"}


def test_json_lines_carry_trace_ids_and_stay_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test")
    with TRACER.start_as_current_span("handle") as span:
        structlog.get_logger().info("called", phone="13857101234")
        logging.getLogger("plain").warning("stdlib too")
    structlog.get_logger().info("after")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    trace_id = f"{span.get_span_context().trace_id:032x}"
    assert [line.get("trace_id") for line in lines] == [trace_id, trace_id, None]
    assert lines[0]["phone"] == "138****1234" and len(lines[0]["span_id"]) == 16


def test_an_envelope_takes_the_current_span_over_its_causes_traceparent() -> None:
    app = uuid7()
    cause = Envelope.new(
        completed(), application_id=app, producer="t", traceparent=CAUSE_TRACEPARENT
    )
    assert cause.traceparent == CAUSE_TRACEPARENT
    outside = Envelope.new(completed(), application_id=app, producer="t", causation=cause)
    assert outside.traceparent == CAUSE_TRACEPARENT
    with TRACER.start_as_current_span("handle", context=context_of(cause.traceparent)) as span:
        inside = Envelope.new(completed(), application_id=app, producer="t", causation=cause)
    ids = span.get_span_context()
    assert inside.traceparent == f"00-{ids.trace_id:032x}-{ids.span_id:016x}-01"
    assert inside.traceparent.split("-")[1] == CAUSE_TRACEPARENT.split("-")[1]  # same trace


@pytest.mark.parametrize(
    ("environ", "kinds"),
    [
        ({}, []),  # no endpoint: nothing exported, no error
        ({"OTEL_TRACES_EXPORTER": "otlp"}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, [OTLPSpanExporter]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, [OTLPSpanExporter]),
        (
            {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"},
            [],
        ),
        ({"OTEL_TRACES_EXPORTER": "console"}, [ConsoleSpanExporter]),
        (
            {"OTEL_TRACES_EXPORTER": "otlp, console", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c"},
            [OTLPSpanExporter, ConsoleSpanExporter],
        ),
    ],
)
def test_exporters_follow_the_otel_variables(environ: dict[str, str], kinds: list[type]) -> None:
    assert [type(e) for e in span_exporters(environ)] == kinds


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"OTEL_TRACES_EXPORTER": "jaeger"}, "OTEL_TRACES_EXPORTER"),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
    ],
)
def test_unusable_otel_variables_are_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(TracingConfigError, match=named):
        span_exporters(environ)


def test_a_malformed_traceparent_starts_a_new_trace() -> None:
    with TRACER.start_as_current_span("x", context=context_of("00-zz-yy-01")) as span:
        assert span.parent is None
    with TRACER.start_as_current_span("y", context=context_of(CAUSE_TRACEPARENT)) as span:
        assert span.parent is not None and span.parent.span_id == 0xB7AD6B7169203331

"""One trace per application, across all four services: intake, router, dept_adapter and
notifier run in this process (their own schemas and consumer groups) on the real PostgreSQL
and broker, with the real legacy_sim as a process and a webhook receiver as the applicant;
every span goes to an in-memory exporter. An equity transfer (tax → tax → amr) is submitted
through intake's API and the spans of its trace are checked, from the submit to the notice.

The topics are shared with other tests, so this test's consumer groups start at the topics'
ends, and only the spans of this application's trace are looked at."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any
from uuid import uuid4

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from onewindow.applicant import application_body
from onewindow.webhook import WebhookReceiver
from runtime.service import Service
from services.dept_adapter import bootstrap as dept_adapter
from services.intake import bootstrap as intake
from services.intake.adapters import issue_api_key
from services.notifier import bootstrap as notifier
from services.router import bootstrap as router
from tests.conftest import Stack
from tests.integration.dept_adapter_support import legacy_sim
from tests.integration.in_process import start_at_the_end

__all__ = ["legacy_sim"]  # fixture
SECRET = "tracing-webhook-secret"


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # later tests' spans are dropped, not kept in memory


def four_services(stack: Stack, legacy_url: str, webhook: WebhookReceiver) -> list[Service]:
    tag = uuid4().hex[:8]
    common: dict[str, Any] = {
        "database_url": stack.database_url,
        "kafka_bootstrap_servers": stack.kafka,
        "startup_timeout_seconds": 60,
    }
    allow = f"127.0.0.1:{webhook.port}"  # the applicant's receiver is local
    adapter = dept_adapter.build(
        dept_adapter.DeptAdapterSettings(**common, legacy_base_url=legacy_url)
    )
    delivering = notifier.build(
        notifier.NotifierSettings(
            **common, webhook_secret=SECRET, webhook_allow=allow, delivery_backoff_seconds=0.05
        )
    )
    return [
        intake.build(intake.IntakeSettings(**common, webhook_allow=allow), schema=f"t_in_{tag}"),
        router.build(router.RouterSettings(**common), schema=f"t_ro_{tag}"),
        replace(adapter, name=f"t_da_{tag}"),
        replace(delivering, name=f"t_no_{tag}"),
    ]


@pytest.fixture(scope="module")
async def running(
    stack: Stack, legacy_sim: str, exporter: InMemorySpanExporter
) -> AsyncIterator[tuple[list[Service], WebhookReceiver]]:
    async with WebhookReceiver(SECRET).running() as webhook:
        services = four_services(stack, legacy_sim, webhook)
        await start_at_the_end(stack.kafka, services)
        started: list[Service] = []
        try:
            for service in services:  # one by one: migrations run in this process
                await service.start()
                started.append(service)
            yield services, webhook
        finally:
            for service in reversed(started):
                await service.stop()


@asynccontextmanager
async def applicant(front_door: Service) -> AsyncIterator[httpx.AsyncClient]:
    """A web front end of intake, with a key of its own, through intake's ASGI app."""
    key = await issue_api_key(front_door.pool, f"web-{uuid4().hex[:8]}", "web")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=front_door.asgi()),
        base_url="http://intake",
        headers={"Authorization": f"Bearer {key}"},
    ) as http:
        yield http


async def submit(http: httpx.AsyncClient, webhook: WebhookReceiver, path: str) -> str:
    body = application_body("equity-transfer", {"channel": "webhook", "address": webhook.url(path)})
    answer = await http.post(
        "/v1/applications", json=body, headers={"Idempotency-Key": str(uuid4())}
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["application_id"])


class Trace:
    def __init__(self, spans: list[ReadableSpan]) -> None:
        self.spans = spans
        self.by_id = {s.context.span_id: s for s in spans}

    def named(self, name: str, **attributes: Any) -> list[ReadableSpan]:
        return [
            s
            for s in self.spans
            if s.name == name
            and all((s.attributes or {}).get(k) == v for k, v in attributes.items())
        ]

    def one(self, name: str, **attributes: Any) -> ReadableSpan:
        found = self.named(name, **attributes)
        assert len(found) == 1, (name, attributes, len(found))
        return found[0]

    def parent(self, span: ReadableSpan) -> ReadableSpan:
        assert span.parent is not None, span.name
        return self.by_id[span.parent.span_id]

    def lineage(self, span: ReadableSpan) -> list[str]:
        """Names from `span` up to the root."""
        names = [span.name]
        while span.parent is not None:
            span = self.by_id[span.parent.span_id]
            names.append(span.name)
        return names

    def children(self, span: ReadableSpan) -> list[ReadableSpan]:
        return [s for s in self.spans if s.parent and s.parent.span_id == span.context.span_id]

    def calls(self, span: ReadableSpan) -> list[ReadableSpan]:
        """The HTTP client spans (httpx's) under `span`: all these calls are POSTs."""
        return [s for s in self.children(span) if s.kind is SpanKind.CLIENT and s.name == "POST"]


async def trace_of(exporter: InMemorySpanExporter, application_id: str) -> Trace:
    """The application's trace, once the notifier's delivery span has ended."""
    async with asyncio.timeout(60):
        while True:
            spans = exporter.get_finished_spans()
            ids = {
                s.context.trace_id
                for s in spans
                if (s.attributes or {}).get("onewindow.application_id") == application_id
            }
            assert len(ids) <= 1, "the application's spans are in more than one trace"
            mine = [s for s in spans if s.context.trace_id in ids]
            if any(s.name == "deliver webhook" for s in mine):
                return Trace(mine)
            await asyncio.sleep(0.1)


async def test_one_trace_from_the_submit_to_the_notice(
    running: tuple[list[Service], WebhookReceiver], exporter: InMemorySpanExporter
) -> None:
    (front_door, routing, adapter, notifying), webhook = running
    async with applicant(front_door) as http:
        application_id = await submit(http, webhook, "tr")
    t = await trace_of(exporter, application_id)
    group = {s.name: f"{s.name}.{s.consumers[0].name}" for s in (routing, adapter, notifying)}

    # the submit is the root of everything
    root = t.one("POST /v1/applications")
    assert root.kind is SpanKind.SERVER and root.parent is None
    assert [s for s in t.spans if s.parent is None] == [root]

    # router: the submission arrives through intake's relay and Kafka
    opening = t.one(
        "process ApplicationSubmitted", **{"messaging.consumer.group.name": group[routing.name]}
    )
    lineage = t.lineage(opening)
    assert lineage[:2] == [opening.name, "publish onewindow.applications"]
    assert lineage[-1] == root.name  # (FastAPI's endpoint span in between)

    # dept_adapter: each filing's run is a child of the span that took the task from Kafka,
    # itself a descendant of the router's dispatch; the legacy call is the run's HTTP child
    runs = t.named("submit tax") + t.named("submit amr")
    assert len(runs) == 3
    for run in runs:
        taken = t.parent(run)
        assert taken.name == "process SubtaskDispatched"
        assert taken.attributes["messaging.consumer.group.name"] == group[adapter.name]
        assert t.lineage(taken)[1].startswith("publish onewindow.tasks.")
        assert (
            t.parent(t.parent(taken)).attributes["messaging.consumer.group.name"]
            == group[routing.name]
        )
        assert len(t.calls(run)) == 1  # the legacy system's HTTP call, by httpx
        assert root.name in t.lineage(run)

    # router: the outcome is decided in a span that links to the three results it joins
    joined = t.one("join OutcomeDecided")
    assert t.parent(joined).attributes["messaging.consumer.group.name"] == group[routing.name]
    assert t.parent(joined).name == "process SubtaskCompleted"
    results = [t.by_id[link.context.span_id] for link in joined.links]
    assert len(results) == 3
    assert all(r.name == "publish onewindow.task-results" for r in results)
    assert {t.parent(r).name for r in results} == {"submit tax", "submit amr"}

    # notifier: the delivery continues the notice's context, down from the decision
    delivery = t.one("deliver webhook")
    assert [e.name for e in delivery.events] == ["sent"]
    assert len(t.calls(delivery)) == 1  # the webhook POST
    lineage = t.lineage(delivery)
    assert lineage[:3] == [delivery.name, "process OutcomeDecided", "publish onewindow.outcomes"]
    assert "join OutcomeDecided" in lineage and lineage[-1] == root.name
    assert t.parent(delivery).attributes["messaging.consumer.group.name"] == group[notifying.name]
    (notice,) = webhook.received("tr")
    assert notice.body["kind"] == "result" and application_id in notice.body["delivery_id"]


async def test_a_later_request_continues_the_applications_trace(
    running: tuple[list[Service], WebhookReceiver], exporter: InMemorySpanExporter
) -> None:
    (front_door, *_), webhook = running
    async with applicant(front_door) as http:
        application_id = await submit(http, webhook, "rated")
        submitted = await trace_of(exporter, application_id)
        async with asyncio.timeout(30):  # until intake's read model has seen the outcome
            while (
                answer := await http.post(
                    f"/v1/applications/{application_id}/evaluation", json={"rating": 5}
                )
            ).status_code == 409:
                await asyncio.sleep(0.1)
        assert answer.status_code == 202, answer.text
    (rated,) = [s for s in exporter.get_finished_spans() if s.name == "record ApplicationEvaluated"]
    assert rated.context.trace_id == submitted.spans[0].context.trace_id
    assert rated.parent is not None and rated.parent.span_id in submitted.by_id
    (link,) = rated.links  # to the evaluation request, a trace of its own
    request = root_of(exporter.get_finished_spans(), link.context.span_id)
    assert request.name == "POST /v1/applications/{application_id}/evaluation"
    assert request.context.trace_id != rated.context.trace_id


def root_of(spans: Sequence[ReadableSpan], span_id: int) -> ReadableSpan:
    by_id = {s.context.span_id: s for s in spans}
    span = by_id[span_id]
    while span.parent is not None:
        span = by_id[span.parent.span_id]
    return span

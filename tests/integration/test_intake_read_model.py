"""The read model: the projection over a realistic business-startup story, duplicates, stale
and out-of-order results, and a rebuild from the services' logs equal to the live model."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from uuid6 import uuid7

from contracts.catalog import EXAMPLES_DIR
from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationSubmitted,
    Certificate,
    Delivery,
    IgnoredBecause,
    MissingMaterial,
    NoticeDelivered,
    OutcomeDecided,
    ResultIgnored,
    ResultRecorded,
    SubtaskAccepted,
    SubtaskCompleted,
    SubtaskDispatched,
    SubtaskRejected,
    SupplementNoticeIssued,
    SupplementRequest,
    SupplementRequested,
    SupplementSubmitted,
)
from contracts.kafka import to_kafka
from contracts.topics import TASK_RESULTS
from eventlog.kafka_publisher import KafkaEventPublisher
from eventlog.migrate import migrate_async
from eventlog.relay import Relay
from eventlog.store import StreamAppend, append_streams
from runtime.service import Service
from services.intake.adapters import issue_api_key
from services.intake.adapters.projection import apply
from services.intake.adapters.queries import application_view
from services.intake.adapters.rebuild import READ_MODEL_TABLES, rebuild_read_model
from services.intake.bootstrap import MIGRATIONS
from services.intake.domain.callers import Caller
from services.intake.domain.views import ApplicationView
from tests.integration.in_process import client_of, intake_on, running
from tests.integration.read_model import OUTPUTS, snapshot

CLERK = Caller("clerk-test", "clerk")
SUBTASKS = ["amr-licence", "psb-seal", "tax-invoice", "hrss-social-insurance", "hpf-provident-fund"]
DEPARTMENT = {"amr-licence": "amr", "psb-seal": "psb", "tax-invoice": "tax",
              "hrss-social-insurance": "hrss", "hpf-provident-fund": "hpf"}  # fmt: skip
DELIVERY = Delivery(channel="email", address="chen@example.cn")
TaskResult = SubtaskAccepted | SubtaskCompleted | SubtaskRejected | SupplementRequested
Step = tuple[str, Envelope]  # (the log it is recorded in, the event)


def _at(application_id: UUID, event: Event, producer: str) -> Envelope:
    return Envelope.new(event, application_id=application_id, producer=producer)


def submitted(application_id: UUID) -> Envelope:
    example = json.loads((EXAMPLES_DIR / "business-startup.json").read_text(encoding="utf-8"))
    event = ApplicationSubmitted(
        matter="business-startup", channel="web", client="web-story", receipt_number="YC1",
        applicant=example["applicant"], form=example["form"], delivery=DELIVERY,
    )  # fmt: skip
    return _at(application_id, event, "intake")


def _key(application_id: UUID, subtask: str, n: int = 1) -> str:
    return f"{application_id}:{subtask}:{n}"


def _dispatch(app: UUID, subtask: str, n: int = 1) -> Step:
    event = SubtaskDispatched(
        subtask=subtask, department=DEPARTMENT[subtask], title=f"{subtask} 办理",
        filing_key=_key(app, subtask, n), inputs={}, time_limit_days=1,
    )  # fmt: skip
    return "router", _at(app, event, "router")


def _answer(app: UUID, event: TaskResult) -> Step:
    """A task result in dept_adapter's log, or only on Kafka (psb answers there itself)."""
    if event.department == "psb":
        return "kafka", _at(app, event, "psb-legacy")
    return "dept_adapter", _at(app, event, "dept_adapter")


def _result(app: UUID, event: TaskResult) -> list[Step]:
    """A task result, and the router's record that it applied it (published)."""
    log, answer = _answer(app, event)
    return [(log, answer), ("router", _at(app, ResultRecorded(result=answer), "router"))]


def _ignored(app: UUID, event: TaskResult, reason: IgnoredBecause) -> list[Step]:
    """A task result the router kept but did not apply (in its log only)."""
    log, answer = _answer(app, event)
    kept = ResultIgnored(result=answer, reason=reason)
    return [(log, answer), ("router-private", _at(app, kept, "router"))]


def _completed(app: UUID, subtask: str, n: int = 1) -> list[Step]:
    department = DEPARTMENT[subtask]
    return _result(app, SubtaskCompleted(
        subtask=subtask, department=department, filing_key=_key(app, subtask, n),
        legacy_receipt=f"{department.upper()}-{n}", outputs=OUTPUTS[subtask],
    ))  # fmt: skip


def before_supplement(app: UUID) -> list[Step]:
    hrss = "hrss-social-insurance"
    missing = MissingMaterial(code="employee-list", name="参保职工花名册", reason="未提交")
    notice = SupplementNoticeIssued(
        matter="business-startup", matter_name="企业开办", receipt_number="YC1",
        applicant_name="陈思远", delivery=DELIVERY, notice_id="S1",
        requests=(SupplementRequest(subtask=hrss, department="hrss", materials=(missing,)),),
    )  # fmt: skip
    return [
        _dispatch(app, "amr-licence"),
        *_result(app, SubtaskAccepted(subtask="amr-licence", department="amr",
                                      filing_key=_key(app, "amr-licence"), legacy_receipt="AMR-1")),
        *_completed(app, "amr-licence"),
        *(_dispatch(app, s) for s in SUBTASKS[1:]),
        *_result(app, SupplementRequested(subtask=hrss, department="hrss",
                                          filing_key=_key(app, hrss), materials=(missing,))),
        ("router", _at(app, notice, "router")),
    ]  # fmt: skip


def supplemented(app: UUID) -> Envelope:
    return _at(app, SupplementSubmitted(notice_id="S1", materials=("employee-list",)), "intake")


def after_supplement(app: UUID) -> list[Step]:
    hrss = "hrss-social-insurance"
    certificates = tuple(
        Certificate(
            subtask=s, department=DEPARTMENT[s], title=s, number=str(i), issued_at=datetime.now(UTC)
        )
        for i, s in enumerate(SUBTASKS)
    )
    outcome = OutcomeDecided(
        matter="business-startup", matter_name="企业开办", receipt_number="YC1",
        applicant_name="陈思远", delivery=DELIVERY, decision="approved", outputs=OUTPUTS,
        certificates=certificates,
    )  # fmt: skip
    delivered = NoticeDelivered(
        notice="result", notice_key="outcome", channel="email", recipient="c***@example.cn",
        attempts=1, receipt="<m1@onewindow>", result_hash="ab" * 32,
        delivered_at=datetime.now(UTC),
    )  # fmt: skip
    stale = SubtaskRejected(
        subtask=hrss, department="hrss", filing_key=_key(app, hrss, 1), reason="缺少参保职工花名册"
    )
    return [
        _dispatch(app, hrss, 2),
        *_completed(app, "psb-seal"),
        *_completed(app, "tax-invoice"),
        *_completed(app, "hpf-provident-fund"),
        *_completed(app, hrss, 2),
        *_ignored(app, stale, "stale"),  # the answer to the first filing comes late
        ("router", _at(app, outcome, "router")),
        ("notifier", _at(app, delivered, "notifier")),
    ]


def story(app: UUID) -> list[Step]:
    return [
        ("intake", submitted(app)),
        *before_supplement(app),
        ("intake", supplemented(app)),
        *after_supplement(app),
    ]


def published(steps: list[Step]) -> list[Envelope]:
    return [envelope for log, envelope in steps if log != "router-private"]


def projected(steps: list[Step]) -> list[Envelope]:
    """What the read model takes: every published event but the departments' raw answers."""
    return [envelope for log, envelope in steps if log in ("intake", "router", "notifier")]


@pytest.fixture
async def model(stack, pool: asyncpg.Pool, schema_name: str) -> asyncpg.Pool:  # type: ignore[no-untyped-def]
    await migrate_async(stack.database_url, schema_name, extra=[MIGRATIONS])
    return pool


async def _apply(pool: asyncpg.Pool, envelopes: list[Envelope]) -> list[bool]:
    async with pool.acquire() as conn, conn.transaction():
        return [await apply(conn, e) for e in envelopes]


async def _view(pool: asyncpg.Pool, app: UUID) -> ApplicationView:
    view = await application_view(pool, CLERK, app, lambda _: SUBTASKS)
    assert view is not None
    return view


async def test_the_story_step_by_step(model: asyncpg.Pool) -> None:
    app = uuid7()
    await _apply(model, [submitted(app)])
    assert (await _view(model, app)).status == "submitted"
    first = projected(before_supplement(app))
    await _apply(model, first[:1])
    assert (await _view(model, app)).status == "in_progress"
    await _apply(model, first[1:])
    view = await _view(model, app)
    assert view.status == "supplement_requested"
    assert view.supplement is not None and view.supplement.notice_id == "S1"
    assert {s.subtask: s.status for s in view.subtasks}["hrss-social-insurance"] == (
        "supplement_requested"
    )
    await _apply(model, [supplemented(app)])
    assert (await _view(model, app)).status == "in_progress"
    rest = projected(after_supplement(app))
    await _apply(model, rest)

    view = await _view(model, app)
    assert view.status == "approved" and view.supplement is None
    assert [(s.subtask, s.status) for s in view.subtasks] == [(s, "completed") for s in SUBTASKS]
    amr = view.subtasks[0]
    assert (amr.department, amr.legacy_receipt, amr.outputs) == (
        "amr",
        "AMR-1",
        OUTPUTS["amr-licence"],
    )
    assert view.subtasks[3].legacy_receipt == "HRSS-2" and view.subtasks[3].reason is None
    assert view.outputs == OUTPUTS
    assert view.outcome is not None and view.outcome.decision == "approved"
    assert len(view.outcome.certificates) == 5
    assert [(n.notice, n.status, n.detail) for n in view.notices] == [
        ("result", "delivered", "<m1@onewindow>")
    ]
    types = [t.event_type for t in view.timeline]
    assert len(types) == 2 + len(first) + len(rest)
    assert types.count("SubtaskRejected") == 0  # the stale answer the router ignored
    assert [t.occurred_at for t in view.timeline] == sorted(t.occurred_at for t in view.timeline)
    assert types[0] == "ApplicationSubmitted" and types[-1] == "NoticeDelivered"


async def test_duplicates_and_late_events_change_nothing(model: asyncpg.Pool) -> None:
    app = uuid7()
    events = projected(story(app))
    assert all(await _apply(model, events))
    settled = await snapshot(model, {app})
    assert not any(await _apply(model, events))  # every one a duplicate
    assert await snapshot(model, {app}) == settled

    amr_key = _key(app, "amr-licence")
    acknowledged = _at(app, SubtaskAccepted(subtask="amr-licence", department="amr",
                                            filing_key=amr_key, legacy_receipt="AMR-1"),
                       "dept_adapter")  # fmt: skip
    older = acknowledged.model_copy(update={"occurred_at": datetime.now(UTC) - timedelta(hours=1)})
    # applied by the router, but arriving after the completion it preceded
    assert await _apply(model, [_at(app, ResultRecorded(result=older), "router")]) == [True]
    after = await snapshot(model, {app})
    assert len(after["timeline"]) == len(settled["timeline"]) + 1
    assert after["applications"][0]["status"] == "approved"
    view = await _view(model, app)
    assert [(s.subtask, s.status) for s in view.subtasks] == [(s, "completed") for s in SUBTASKS]


async def test_departments_answers_count_only_as_the_router_applied_them(
    model: asyncpg.Pool,
) -> None:
    app = uuid7()
    steps = story(app)
    await _apply(model, projected(steps))
    settled = await snapshot(model, {app})
    answers = [e for log, e in steps if log in ("dept_adapter", "kafka")]
    psb = "psb-seal"
    second = SubtaskCompleted(
        subtask=psb,
        department="psb",
        filing_key=_key(app, psb),
        legacy_receipt="PSB-OTHER",
        outputs={"seal_filing_number": "9"},
    )
    nowhere = SubtaskCompleted(
        subtask="psb-nonexistent", department="psb", filing_key=_key(app, "psb-nonexistent")
    )
    raw = [*answers, _at(app, second, "legacy-psb"), _at(app, nowhere, "legacy-psb")]
    assert not any(await _apply(model, raw))
    ignored = [e for log, e in steps if log == "router-private"]
    assert ignored and not any(await _apply(model, ignored))
    assert await snapshot(model, {app}) == settled
    assert "PSB-OTHER" not in json.dumps((await _view(model, app)).model_dump(mode="json"))


async def test_any_arrival_order_gives_the_same_model(model: asyncpg.Pool) -> None:
    app = uuid7()
    events = projected(story(app))
    await _apply(model, events)
    in_order = await snapshot(model, {app})
    for seed in range(4):
        shuffled = (
            list(reversed(events)) if seed == 0 else random.Random(seed).sample(events, len(events))
        )
        async with model.acquire() as conn:
            await conn.execute(f"TRUNCATE {', '.join(READ_MODEL_TABLES)}")
        await _apply(model, shuffled)
        assert await snapshot(model, {app}) == in_order, f"seed {seed}"


async def _log_schemas(stack) -> dict[str, str]:  # type: ignore[no-untyped-def]
    schemas = {log: f"t_{log.replace('_', '')}_{uuid4().hex[:8]}" for log in
               ("router", "dept_adapter", "notifier")}  # fmt: skip
    for schema in schemas.values():
        await migrate_async(stack.database_url, schema)
    return schemas


async def _record(conn: asyncpg.Connection, schema: str, envelopes: list[Envelope]) -> None:
    async with conn.transaction():
        await conn.execute(f'SET LOCAL search_path TO "{schema}"')
        for envelope in envelopes:
            stream = f"{schema}-{envelope.application_id}"
            version = await conn.fetchval(
                "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1", stream
            )
            await append_streams(conn, [StreamAppend(stream, version, [envelope])])


def _by_log(steps: list[Step], schemas: dict[str, str]) -> dict[str, list[Envelope]]:
    logs: dict[str, list[Envelope]] = {}
    for log, envelope in steps:
        schema = schemas.get(log.removesuffix("-private"))
        if schema:
            logs.setdefault(schema, []).append(envelope)
    return logs


async def test_rebuild_from_the_logs_equals_the_applied_model(
    stack,
    model: asyncpg.Pool,
    schema_name: str,  # type: ignore[no-untyped-def]
) -> None:
    apps = {uuid7(), uuid7()}
    steps = [step for app in apps for step in story(app)]
    await _apply(model, published(steps))
    live = await snapshot(model, apps)
    schemas = {"intake": schema_name, **await _log_schemas(stack)}
    async with model.acquire() as conn:
        for schema, envelopes in _by_log(steps, schemas).items():
            await _record(conn, schema, envelopes)
        read, applied = await rebuild_read_model(conn, list(schemas.values()))
    assert applied == len(projected(steps))
    assert read == len(steps) - sum(1 for log, _ in steps if log == "kafka")
    assert await snapshot(model, apps) == live


@pytest.fixture
async def intake(stack) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    async with running(intake_on(stack)) as service:
        yield service


async def _publish(stack, logs: dict[str, list[Envelope]], kafka_only: list[Envelope]) -> None:  # type: ignore[no-untyped-def]
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all")
    await producer.start()
    try:
        for schema, envelopes in logs.items():
            pool = await asyncpg.create_pool(
                stack.database_url, min_size=1, max_size=2, server_settings={"search_path": schema}
            )
            try:
                async with pool.acquire() as conn:
                    await _record(conn, schema, envelopes)
                await Relay(pool, KafkaEventPublisher(producer)).publish_pending()
            finally:
                await pool.close()
        for envelope in kafka_only:  # a department that answers on Kafka itself
            key, value, headers = to_kafka(envelope)
            await producer.send_and_wait(TASK_RESULTS, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def _until(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], **wanted: Any
) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            view = (await http.get(url, headers=headers)).json()
            if all(view[k] == v if not callable(v) else v(view[k]) for k, v in wanted.items()):
                return dict(view)
            await asyncio.sleep(0.1)


async def test_live_model_through_kafka_equals_the_rebuilt_one(stack, intake: Service) -> None:  # type: ignore[no-untyped-def]
    schemas = {"intake": intake.schema, **await _log_schemas(stack)}
    headers = {"Authorization": "Bearer " + await issue_api_key(intake.pool, "web-live", "web")}
    body = json.loads((EXAMPLES_DIR / "business-startup.json").read_text(encoding="utf-8"))
    body["delivery"] = {"channel": "webhook", "address": "https://client.example.cn/hook"}
    async with client_of(intake) as http:
        answer = await http.post(
            "/v1/applications", json=body, headers=headers | {"Idempotency-Key": "live-1"}
        )
        assert answer.status_code == 202, answer.text
        url, app = answer.json()["status_url"], UUID(answer.json()["application_id"])

        first = before_supplement(app)
        await _publish(stack, _by_log(first, schemas), [e for log, e in first if log == "kafka"])
        await _until(http, url, headers, status="supplement_requested")
        answered = await http.post(
            f"{url}/supplements",
            json={"notice_id": "S1", "materials": ["employee-list"]},
            headers=headers,
        )
        assert answered.status_code == 202, answered.text

        rest = after_supplement(app)
        await _publish(stack, _by_log(rest, schemas), [e for log, e in rest if log == "kafka"])
        expected = 2 + len(projected(first)) + len(projected(rest))
        view = await _until(
            http, url, headers, status="approved", timeline=lambda t: len(t) == expected
        )
    assert [n["status"] for n in view["notices"]] == ["delivered"]
    assert all(s["status"] == "completed" for s in view["subtasks"])
    assert not [t for t in view["timeline"] if t["event_type"] == "SubtaskRejected"]  # stale

    async with intake.pool.acquire() as conn:
        consumed = await conn.fetchval("SELECT count(*) FROM inbox WHERE event_id IN"
                                       " (SELECT event_id FROM timeline WHERE application_id = $1)",
                                       app)  # fmt: skip
        applied = [
            e for log, e in first + rest if log == "router" and e.event_type == "ResultRecorded"
        ]
        # intake's own events came back through Kafka too (no-ops); a result's timeline line
        # is the answer's, the inbox has the router's ResultRecorded that carried it
        assert consumed == expected - len(applied)
        assert await conn.fetchval(
            "SELECT count(*) FROM inbox WHERE event_id = ANY($1)", [e.event_id for e in applied]
        ) == len(applied)
        live = await snapshot(conn, {app})
        await rebuild_read_model(conn, list(schemas.values()))
        assert await snapshot(conn, {app}) == live

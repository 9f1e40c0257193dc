"""A department's wrong answers on Kafka, against the real router and intake on the real
PostgreSQL and broker: the test is every department (it answers on onewindow.task-results as
docs/legacy-integration.md says, like psb's own system), the registers (it answers the
router's lookup as dept_adapter does, from a log of its own, registers that agree with the
form), and the applicant at intake's API.

What the applicant sees follows the router's decisions only: a second, different answer to an
answered filing, an answer to an earlier round's filing and an answer naming a sub-task the
application does not have change nothing on the status page; the last is dead-lettered with
a reason naming the sub-task. The live read model equals the one rebuilt from the logs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts.catalog import load_catalog
from contracts.envelope import Envelope, Event
from contracts.events import (
    MissingMaterial,
    RegisterLookupRequested,
    SubtaskCompleted,
    SubtaskRejected,
    SupplementRequested,
)
from contracts.kafka import to_kafka
from contracts.topics import LOOKUP_RESULTS, TASK_RESULTS
from eventlog.migrate import migrate_async
from eventlog.store import EventStore
from onewindow.applicant import application_body
from runtime.service import Service
from services.intake.adapters import issue_api_key
from services.intake.adapters.ops.timeline import logged_events
from services.intake.adapters.rebuild import rebuild_read_model
from services.router import bootstrap as router
from services.router.handlers import process_stream
from tests.conftest import Stack
from tests.helpers import dead_letter_reasons
from tests.integration.in_process import client_of, intake_on, start_at_the_end
from tests.integration.read_model import OUTPUTS, snapshot
from tests.registers import agreeing


@dataclass
class Window:
    """The applicant at intake's API, and every department answering on Kafka."""

    intake: Service
    router: Service
    http: httpx.AsyncClient
    producer: AIOKafkaProducer
    registers: EventStore  # the log the registers' answers are kept in, as dept_adapter's
    registers_schema: str
    application_id: UUID | None = None

    @property
    def app(self) -> UUID:
        assert self.application_id is not None
        return self.application_id

    async def page(self) -> dict[str, Any]:
        answer = await self.http.get(f"/v1/applications/{self.app}")
        assert answer.status_code == 200, answer.text
        page: dict[str, Any] = answer.json()
        return page

    async def router_log(self) -> list[Envelope]:
        return [r.envelope for r in await self.router.store.read(process_stream(self.app))]

    async def dispatch(self, subtask: str, round_: int = 1) -> Envelope:
        key = f"{self.app}:{subtask}:{round_}"

        async def dispatched() -> Envelope | None:
            return next(
                (e for e in await self.router_log() if e.event_type == "SubtaskDispatched"
                 and e.payload["filing_key"] == key),
                None,
            )  # fmt: skip

        return await until(dispatched)

    async def registers_answer(self, body: dict[str, Any]) -> None:
        """As dept_adapter does for registers agreeing with the application `body`: the
        router's lookup answered, kept in a log, published."""

        async def asked() -> Envelope | None:
            log = await self.router_log()
            return next((e for e in log if e.event_type == "RegisterLookupRequested"), None)

        request = RegisterLookupRequested.model_validate((await until(asked)).payload)
        answer = Envelope.new(
            agreeing(load_catalog().matter(request.matter), body["form"], request,
                     applicant=body["applicant"]),
            application_id=self.app, producer="dept_adapter",
        )  # fmt: skip
        await self.registers.append(f"lookup-{request.lookup_key}", 0, [answer])
        key, value, headers = to_kafka(answer)
        await self.producer.send_and_wait(LOOKUP_RESULTS, value, key=key, headers=headers)

    async def answer(self, task: Envelope, event: Event) -> Envelope:
        """As a department system: a new event_id, the task's ids copied."""
        answer = Envelope.new(
            event, application_id=task.application_id, producer="legacy-test", causation=task
        )
        key, value, headers = to_kafka(answer)
        await self.producer.send_and_wait(TASK_RESULTS, value, key=key, headers=headers)
        return answer

    async def complete(self, subtask: str, round_: int = 1, **changes: Any) -> Envelope:
        task = await self.dispatch(subtask, round_)
        done = SubtaskCompleted(
            subtask=subtask,
            department=str(task.payload["department"]),
            filing_key=str(task.payload["filing_key"]),
            legacy_receipt=f"R-{subtask}",
            outputs=OUTPUTS[subtask],
        ).model_copy(update=changes)
        return await self.answer(task, done)

    async def judged(self, answer: Envelope) -> Envelope:
        """The router's record of `answer`: applied or ignored."""

        async def recorded() -> Envelope | None:
            return next(
                (
                    e
                    for e in await self.router_log()
                    if e.event_type in ("ResultRecorded", "ResultIgnored")
                    and e.payload["result"]["event_id"] == str(answer.event_id)
                ),
                None,
            )

        return await until(recorded)


T = TypeVar("T")


async def until(found: Callable[[], Awaitable[T | None]], timeout: float = 60) -> T:
    async with asyncio.timeout(timeout):
        while (value := await found()) is None:
            await asyncio.sleep(0.1)
    return value


@pytest.fixture
async def window(stack: Stack) -> AsyncIterator[Window]:
    common = {"database_url": stack.database_url, "kafka_bootstrap_servers": stack.kafka,
              "startup_timeout_seconds": 60}  # fmt: skip
    services = [
        intake_on(stack),
        router.build(router.RouterSettings(**common), schema=f"t_ro_{uuid4().hex[:8]}"),
    ]
    await start_at_the_end(stack.kafka, services)
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all")
    registers_schema = f"t_reg_{uuid4().hex[:8]}"
    await migrate_async(stack.database_url, registers_schema)
    registers = await asyncpg.create_pool(
        stack.database_url,
        min_size=1,
        max_size=2,
        server_settings={"search_path": registers_schema},
    )
    started: list[Service] = []
    try:
        for service in services:
            await service.start()
            started.append(service)
        await producer.start()
        async with client_of(services[0]) as http:
            key = await issue_api_key(services[0].pool, f"web-{uuid4().hex[:8]}", "web")
            http.headers["Authorization"] = f"Bearer {key}"
            yield Window(
                services[0], services[1], http, producer, EventStore(registers), registers_schema
            )
    finally:
        await registers.close()
        await producer.stop()
        for service in reversed(started):
            await service.stop()


def seen(page: dict[str, Any]) -> dict[str, Any]:
    """What the applicant sees of the sub-tasks: status, receipt, outputs, and the timeline."""
    return {
        "subtasks": {
            s["subtask"]: (s["status"], s["legacy_receipt"], s["outputs"]) for s in page["subtasks"]
        },
        "outputs": page["outputs"],
        "timeline": [(t["event_type"], t["summary"]) for t in page["timeline"]],
    }


async def test_wrong_answers_change_nothing_the_applicant_sees(
    stack: Stack, window: Window
) -> None:
    body = application_body("business-startup", {"channel": "email", "address": "a@example.cn"})
    submitted = await window.http.post(
        "/v1/applications", json=body, headers={"Idempotency-Key": str(uuid4())}
    )
    assert submitted.status_code == 202, submitted.text
    window.application_id = UUID(submitted.json()["application_id"])
    await window.registers_answer(body)

    await window.complete("amr-licence")
    first = await window.complete("psb-seal")
    assert (await window.judged(first)).event_type == "ResultRecorded"

    async def psb_done() -> dict[str, Any] | None:
        page = seen(await window.page())
        return page if page["subtasks"]["psb-seal"][0] == "completed" else None

    before = await until(psb_done)

    # a second, different answer to the answered filing: kept by the router, ignored
    other = {"seal_filing_number": "99999999999999999"}
    second = await window.complete("psb-seal", legacy_receipt="PSB-OTHER", outputs=other)
    ignored = await window.judged(second)
    assert (ignored.event_type, ignored.payload["reason"]) == ("ResultIgnored", "answered")
    # an answer naming a sub-task the application does not have: dead-lettered
    seal = await window.dispatch("psb-seal")
    nowhere = SubtaskCompleted(
        subtask="psb-nonexistent", department="psb", filing_key=f"{window.app}:psb-nonexistent:1"
    )
    await window.answer(seal, nowhere)
    router = f"{window.router.name}.process"
    (reason,) = await dead_letter_reasons(stack.kafka, router, 1, about=str(window.app))
    assert "psb-nonexistent" in reason and "which it does not have" in reason
    assert str(window.app) in reason
    assert seen(await window.page()) == before

    # a supplement: hrss asks, the applicant answers, hrss is filed again (round 2)
    for subtask in ("tax-invoice", "hpf-provident-fund"):
        await window.complete(subtask)
    hrss = await window.dispatch("hrss-social-insurance")
    missing = MissingMaterial(code="employee-list", name="参保职工花名册", reason="未签章")
    await window.answer(hrss, SupplementRequested(
        subtask="hrss-social-insurance", department="hrss",
        filing_key=str(hrss.payload["filing_key"]), materials=(missing,),
    ))  # fmt: skip

    async def notice() -> str | None:
        supplement = (await window.page())["supplement"]
        return None if supplement is None else str(supplement["notice_id"])

    answered = await window.http.post(
        f"/v1/applications/{window.app}/supplements",
        json={"notice_id": await until(notice), "materials": ["employee-list"]},
    )
    assert answered.status_code == 202, answered.text
    await window.dispatch("hrss-social-insurance", 2)

    async def hrss_again() -> dict[str, Any] | None:
        page = seen(await window.page())
        return page if page["subtasks"]["hrss-social-insurance"][0] == "dispatched" else None

    during = await until(hrss_again)
    # the first round's filing answers late: stale
    late = await window.answer(hrss, SubtaskRejected(
        subtask="hrss-social-insurance", department="hrss",
        filing_key=str(hrss.payload["filing_key"]), reason="缺少参保职工花名册",
    ))  # fmt: skip
    stale = await window.judged(late)
    assert (stale.event_type, stale.payload["reason"]) == ("ResultIgnored", "stale")
    assert seen(await window.page()) == during

    await window.complete("hrss-social-insurance", 2)

    async def approved() -> dict[str, Any] | None:
        page = await window.page()
        return page if page["status"] == "approved" else None

    page = await until(approved)
    psb = next(s for s in page["subtasks"] if s["subtask"] == "psb-seal")
    assert (psb["legacy_receipt"], psb["outputs"]) == before["subtasks"]["psb-seal"][1:]
    assert page["outputs"]["psb-seal"] == OUTPUTS["psb-seal"]
    numbers = {c["subtask"]: c["number"] for c in page["outcome"]["certificates"]}
    assert numbers["psb-seal"] == OUTPUTS["psb-seal"]["seal_filing_number"]
    lines = [summary for _, summary in seen(page)["timeline"]]
    assert not [line for line in lines if "psb-nonexistent" in line]
    completions = [line for line in lines if "psb-seal completed" in line]
    assert len(completions) == 1, completions
    assert "SubtaskRejected" not in [t for t, _ in seen(page)["timeline"]]
    assert "PSB-OTHER" not in json.dumps(page, ensure_ascii=False)

    # the ops console shows the two ignored answers, each saying why
    logs = [window.intake.schema, window.router.schema, window.registers_schema]
    events, unread = await logged_events(window.intake.pool, logs, window.app)
    assert unread == []
    kept = [e.summary for e in events if e.event_type == "ResultIgnored"]
    assert len(kept) == 2 and all(s and s.startswith("未采用") for s in kept), kept

    # the read model rebuilt from the logs is the live one
    async with window.intake.pool.acquire() as conn:
        live = await snapshot(conn, {window.app})
        await rebuild_read_model(conn, logs)
        assert await snapshot(conn, {window.app}) == live

"""psb's stand-in consumes onewindow.tasks.psb on the real broker, as docs/legacy-integration.md
says: tasks are built with contracts.kafka.to_kafka, answers read back with from_kafka and
validated as the contract's models — so the document, the contracts and the stand-in agree."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from uuid6 import uuid7

from contracts import registry
from contracts.catalog.identifiers import check_resident_id
from contracts.envelope import Envelope, Event
from contracts.events import (
    FilingCancelled,
    SubtaskCancelled,
    SubtaskCompleted,
    SubtaskDispatched,
    SubtaskRejected,
    SupplementRequested,
)
from contracts.kafka import from_kafka, to_kafka
from contracts.topics import TASK_RESULTS, tasks_topic
from onewindow.embedded.ports import free_port
from tests.conftest import ROOT

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


@dataclass
class Sim:
    url: str
    log: Path
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def sim(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:  # type: ignore[no-untyped-def]
    port = free_port()
    log = tmp_path_factory.mktemp("psb") / "legacy_sim.log"
    env = {
        **os.environ,
        "ONEWINDOW_LEGACY_SIM_PORT": str(port),
        "ONEWINDOW_LEGACY_SIM_KAFKA_BOOTSTRAP_SERVERS": stack.kafka,
        "ONEWINDOW_LEGACY_SIM_KAFKA_GROUP_ID": f"legacy-psb-{uuid7()}",  # no other sim's group
        "ONEWINDOW_LEGACY_SIM_KAFKA_RETRY_BACKOFF_MS": "50",
        "ONEWINDOW_LEGACY_SIM_SMTP_PORT": "0",
        "ONEWINDOW_LEGACY_SIM_ALL_DEPARTMENTS": '{"latency_ms": 0, "jitter_ms": 0}',
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.legacy_sim"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield Sim(f"http://127.0.0.1:{port}", log, process)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
async def consuming(sim: Sim) -> Sim:
    """The stand-in is up and its consumer has joined the broker."""
    async with httpx.AsyncClient(base_url=sim.url) as http, asyncio.timeout(60):
        while True:
            assert sim.process.poll() is None, sim.log.read_text()
            try:
                state = (await http.get("/_control/topics")).json()["psb"]["state"]
                if state == "consuming":
                    return sim
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


@dataclass
class Results:
    """Every record on onewindow.task-results since the module started, read without a group."""

    records: list[Record] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def for_key(self, filing_key: str, count: int = 1) -> list[tuple[Envelope, Event]]:
        async with asyncio.timeout(30), self.arrived:
            while len(found := self._decoded(filing_key)) < count:
                await self.arrived.wait()
        return found

    def _decoded(self, filing_key: str) -> list[tuple[Envelope, Event]]:
        answers = []
        for key, value, headers in self.records:
            if json.loads(value).get("filing_key") == filing_key:
                envelope = from_kafka(key, value, headers)
                answers.append((envelope, registry.decode(envelope)))
        return answers


@pytest.fixture(scope="module")
async def results(stack) -> AsyncIterator[Results]:  # type: ignore[no-untyped-def]
    seen = Results()
    reader = AIOKafkaConsumer(
        TASK_RESULTS, bootstrap_servers=stack.kafka, auto_offset_reset="earliest"
    )
    await reader.start()

    async def read() -> None:
        async for r in reader:
            async with seen.arrived:
                seen.records.append((r.key, r.value, list(r.headers)))
                seen.arrived.notify_all()

    task = asyncio.create_task(read())
    yield seen
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await reader.stop()


async def produce(kafka: str, *records: Record) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(tasks_topic("psb"), value, key=key, headers=headers)
    finally:
        await producer.stop()


def dispatched(subtask: str, inputs: dict[str, Any], app: UUID | None = None) -> Envelope:
    app = app or uuid7()
    event = SubtaskDispatched(
        subtask=subtask,
        department="psb",
        title="出生登记（申报户口）" if "household" in subtask else "印章刻制备案",
        filing_key=f"{app}:{subtask}:1",
        inputs=inputs,
        materials=("birth-certificate", "household-register", "id-parents"),
        time_limit_days=2,
    )
    return Envelope.new(event, application_id=app, producer="router", traceparent=TRACEPARENT)


def filing_key(task: Envelope) -> str:
    return str(task.payload["filing_key"])


async def control(sim: Sim, path: str) -> Any:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        return (await http.get(f"/_control/{path}")).json()


NEWBORN = {"name": "陈小雨", "gender": "女", "birth_date": "2026-05-01", "ethnicity": "汉族"}
SEAL = {"credit_code": "91330100747721084R", "company_name": "杭州云帆科技有限公司"}


async def test_dispatch_is_answered_in_the_documented_format(
    stack, consuming: Sim, results: Results
) -> None:  # type: ignore[no-untyped-def]
    task = dispatched("psb-household-registration", NEWBORN)
    await produce(stack.kafka, to_kafka(task))
    [(answer, event)] = await results.for_key(filing_key(task))
    assert isinstance(event, SubtaskCompleted)
    assert answer.application_id == task.application_id
    assert answer.correlation_id == task.correlation_id
    assert answer.causation_id == task.event_id and answer.traceparent == TRACEPARENT
    assert answer.producer == "legacy-psb" and answer.schema_version == 1
    assert answer.event_id.version == 7 and answer.event_id != task.event_id
    assert (event.subtask, event.department) == ("psb-household-registration", "psb")
    assert event.legacy_receipt and event.legacy_receipt.startswith("PSB-")
    citizen_id = event.outputs["citizen_id_number"]
    check_resident_id(citizen_id)  # raises if the GB 11643 check character is wrong
    assert citizen_id[6:14] == "20260501" and int(citizen_id[16]) % 2 == 0  # born then, a girl
    assert len(event.outputs["household_number"]) == 9


async def test_a_duplicate_gets_the_same_answer_and_files_once(
    stack, consuming: Sim, results: Results
) -> None:  # type: ignore[no-untyped-def]
    task = dispatched("psb-seal", SEAL)
    await produce(stack.kafka, to_kafka(task), to_kafka(task))
    (first, completed), (second, _) = await results.for_key(filing_key(task), count=2)
    assert first.event_id == second.event_id
    assert isinstance(completed, SubtaskCompleted)
    assert completed.outputs["seal_filing_number"].startswith("330100")
    counts = (await control(consuming, "filings"))["psb"][filing_key(task)]
    assert counts == {"requests": 2, "filings": 1, "cancellations": 0}


@pytest.mark.parametrize(
    ("inputs", "answered_as"),
    [
        ({**SEAL, "company_name": "测试驳回公司"}, SubtaskRejected),
        ({**SEAL, "legal_person_name": "测试补正"}, SupplementRequested),
    ],
)
async def test_decision_rules_apply(
    stack, consuming: Sim, results: Results, inputs: dict[str, Any], answered_as: type[Event]
) -> None:  # type: ignore[no-untyped-def]
    task = dispatched("psb-seal", inputs)
    await produce(stack.kafka, to_kafka(task))
    [(_, event)] = await results.for_key(filing_key(task))
    assert isinstance(event, answered_as)
    if isinstance(event, SubtaskRejected):
        assert event.reason.startswith("公安局不予办理") and "company_name" in event.reason
    else:
        assert isinstance(event, SupplementRequested)
        assert [m.code for m in event.materials] == ["legal_person_name"]


async def test_a_cancel_is_confirmed(stack, consuming: Sim, results: Results) -> None:  # type: ignore[no-untyped-def]
    task = dispatched("psb-seal", SEAL)
    cancel = Envelope.new(
        SubtaskCancelled(
            subtask="psb-seal", department="psb", filing_key=filing_key(task), reason="申请人撤回"
        ),
        application_id=task.application_id,
        producer="router",
    )
    await produce(stack.kafka, to_kafka(task), to_kafka(cancel))
    answers = await results.for_key(filing_key(task), count=2)
    (_, completed), (cancelled_envelope, cancelled) = answers
    assert isinstance(completed, SubtaskCompleted) and isinstance(cancelled, FilingCancelled)
    assert cancelled.confirmed and cancelled.legacy_receipt == completed.legacy_receipt
    assert cancelled_envelope.causation_id == cancel.event_id
    counts = (await control(consuming, "filings"))["psb"][filing_key(task)]
    assert counts["cancellations"] == 1


async def test_a_malformed_record_is_skipped_and_the_next_is_answered(
    stack, consuming: Sim, results: Results
) -> None:  # type: ignore[no-untyped-def]
    task = dispatched("psb-seal", SEAL)
    key, value, headers = to_kafka(task)
    no_event_id = [(name, raw) for name, raw in headers if name != "event_id"]
    await produce(stack.kafka, (key, b"{not json", headers), (key, value, no_event_id))
    await produce(stack.kafka, (key, value, headers))
    [(_, event)] = await results.for_key(filing_key(task))
    assert isinstance(event, SubtaskCompleted)
    reasons = [s["reason"] for s in (await control(consuming, "topics"))["psb"]["skipped"]]
    assert any(r.startswith("value is not UTF-8 JSON") for r in reasons)
    assert "missing headers: event_id" in reasons


async def test_injected_faults_delay_the_answer_without_losing_it(
    stack, consuming: Sim, results: Results
) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=consuming.url) as http:
        await http.post("/_control/psb", json={"fail_first": 2})
        try:
            task = dispatched("psb-update", {"credit_code": SEAL["credit_code"]})
            await produce(stack.kafka, to_kafka(task))
            [(_, event)] = await results.for_key(filing_key(task))
        finally:
            await http.post("/_control/psb", json={"fail_first": 0})
    assert isinstance(event, SubtaskCompleted)
    assert event.outputs["update_reference"].startswith("GABG")
    counts = (await control(consuming, "filings"))["psb"][filing_key(task)]
    assert counts == {"requests": 3, "filings": 1, "cancellations": 0}


async def test_a_stalled_task_holds_up_no_other(stack, consuming: Sim, results: Results) -> None:  # type: ignore[no-untyped-def]
    stalled, other = dispatched("psb-seal", SEAL), dispatched("psb-seal", SEAL)
    async with httpx.AsyncClient(base_url=consuming.url) as http:
        await http.post("/_control/psb", json={"timeout_rate": 1, "timeout_seconds": 60})
        try:
            await produce(stack.kafka, to_kafka(stalled))
            async with asyncio.timeout(30):
                while filing_key(stalled) not in (await control(consuming, "filings"))["psb"]:
                    await asyncio.sleep(0.05)
        finally:
            await http.post("/_control/psb", json={"timeout_rate": 0})
    await produce(stack.kafka, to_kafka(other))  # same partition or not: answered meanwhile
    [(_, event)] = await results.for_key(filing_key(other))
    assert isinstance(event, SubtaskCompleted)
    assert results._decoded(filing_key(stalled)) == []  # still held back

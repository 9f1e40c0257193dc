"""psb's topic wire format (no broker) checked against contracts, and psb's outputs."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime

import pytest
from uuid6 import uuid7

from contracts import registry
from contracts.catalog.identifiers import check_resident_id
from contracts.departments import DEPARTMENTS
from contracts.envelope import Envelope
from contracts.events import FilingCancelled, SubtaskCancelled, SubtaskDispatched
from contracts.kafka import from_kafka, to_kafka
from services.legacy_sim.domain.decisions import FilingRequest
from services.legacy_sim.domain.numbers import is_valid_resident_id, resident_id
from services.legacy_sim.domain.outputs import issue_outputs
from services.legacy_sim.domain.rules import DEPARTMENT_NAMES
from services.legacy_sim.protocols.topic_answers import answer_record, cancelled_answer
from services.legacy_sim.protocols.topic_wire import Cancel, Dispatch, MalformedTask, read_task

TODAY = date(2026, 5, 6)


def _task(department: str = "psb") -> Envelope:
    app = uuid7()
    event = SubtaskDispatched(
        subtask="psb-seal",
        department=department,
        title="印章刻制备案",
        filing_key=f"{app}:psb-seal:1",
        inputs={"company_name": "杭州云帆科技有限公司"},
        time_limit_days=1,
    )
    return Envelope.new(event, application_id=app, producer="router", traceparent="00-ab-cd-01")


def test_reads_what_to_kafka_writes() -> None:
    task = _task()
    read = read_task(*to_kafka(task), "psb")
    assert isinstance(read.payload, Dispatch)
    assert read.payload.filing_key == task.payload["filing_key"] and read.payload.materials == ()
    assert read.envelope.event_id == task.event_id
    assert read.envelope.correlation_id == task.correlation_id
    cancel = Envelope.new(
        SubtaskCancelled(subtask="psb-seal", department="psb", filing_key="k", reason="撤回"),
        application_id=task.application_id,
        producer="router",
    )
    assert isinstance(read_task(*to_kafka(cancel), "psb").payload, Cancel)


def _without(headers: list[tuple[str, bytes]], name: str) -> list[tuple[str, bytes]]:
    return [(n, v) for n, v in headers if n != name]


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda k, v, h: (k, v, _without(h, "producer")), "missing headers: producer"),
        (lambda k, v, h: (b"other", v, h), "key differs from the application_id header"),
        (lambda k, v, h: (k, b"[]", h), "value must be a JSON object"),
        (lambda k, v, h: (k, b"\xff", h), "value is not UTF-8 JSON"),
        (
            lambda k, v, h: (k, v, [*_without(h, "event_id"), ("event_id", b"nope")]),
            "headers.event_id:",
        ),
        (
            lambda k, v, h: (k, v, [*_without(h, "schema_version"), ("schema_version", b"2")]),
            "unsupported schema_version 2",
        ),
        (
            lambda k, v, h: (k, v, [*_without(h, "event_type"), ("event_type", b"OutcomeDecided")]),
            "event_type 'OutcomeDecided' is not a task event",
        ),
        (
            lambda k, v, h: (k, json.dumps({**json.loads(v), "time_limit_days": 0}).encode(), h),
            "value.time_limit_days:",
        ),
    ],
)
def test_refuses_records_off_the_documented_format(spoil, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MalformedTask) as refused:
        read_task(*spoil(*to_kafka(_task())), "psb")
    assert str(refused.value).startswith(reason)


def test_refuses_another_departments_task() -> None:
    with pytest.raises(MalformedTask, match="task for department 'amr', not 'psb'"):
        read_task(*to_kafka(_task("amr")), "psb")


def test_an_answer_decodes_as_the_contracts_model() -> None:
    task = read_task(*to_kafka(_task()), "psb").envelope
    event_type, payload = cancelled_answer("psb", "psb-seal", "k-1", None)
    now = datetime(2026, 5, 6, 2, 15, 10, 4211, tzinfo=UTC)
    record = answer_record(
        task, event_type, payload, producer="legacy-psb", event_id=uuid7(), now=now
    )
    envelope = from_kafka(record.key, record.value, record.headers)
    assert registry.decode(envelope) == FilingCancelled(
        subtask="psb-seal", department="psb", filing_key="k-1", confirmed=True
    )
    assert envelope.causation_id == task.event_id and envelope.traceparent == "00-ab-cd-01"
    assert dict(record.headers)["occurred_at"] == b"2026-05-06T02:15:10.004211Z"


def test_resident_ids_carry_region_birth_date_sex_and_a_valid_check_character() -> None:
    rng = random.Random(1)
    for _ in range(200):
        born = date(2026, 1, 1)
        girl, boy = resident_id(rng, "330106", born, False), resident_id(rng, "330106", born, True)
        for number in (girl, boy):
            check_resident_id(number)  # the contracts' independent GB 11643 check
            assert is_valid_resident_id(number) and number.startswith("33010620260101")
        assert int(girl[16]) % 2 == 0 and int(boy[16]) % 2 == 1
    assert not is_valid_resident_id("330106202601010011")
    assert not is_valid_resident_id("33010620260101001")


@pytest.mark.parametrize(
    ("subtask", "inputs", "names"),
    [
        ("psb-seal", {"credit_code": "91330100747721084R"}, {"seal_filing_number"}),
        ("psb-update", {}, {"update_reference"}),
        (
            "psb-household-registration",
            {"gender": "男", "birth_date": "2026-05-01"},
            {"citizen_id_number", "household_number"},
        ),
    ],
)
def test_psb_outputs_per_subtask(subtask: str, inputs: dict[str, str], names: set[str]) -> None:
    request = FilingRequest("psb", f"k:{subtask}", "app", subtask, inputs)
    outputs = issue_outputs(random.Random(7), request, TODAY)
    assert set(outputs) == names
    if "seal_filing_number" in outputs:
        assert outputs["seal_filing_number"].startswith("3301002026")
        assert len(outputs["seal_filing_number"]) == 17
    if "citizen_id_number" in outputs:
        assert outputs["citizen_id_number"][6:14] == "20260501"
        assert int(outputs["citizen_id_number"][16]) % 2 == 1
        assert len(outputs["household_number"]) == 9


def test_the_simulators_department_names_are_the_contracts() -> None:
    assert DEPARTMENT_NAMES == {code: name.split(" (")[0] for code, name in DEPARTMENTS.items()}

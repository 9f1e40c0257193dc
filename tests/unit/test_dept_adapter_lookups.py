"""dept_adapter's register lookups without I/O: the platform's answers read and minimised,
the registers file, and a lookup worked with retries, back-off and a breaker per register —
ending "unavailable", never waiting, when a register stays down."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import pytest

from contracts.envelope import Envelope
from contracts.events import (
    DatasetLookup,
    RegisterLookupAnswered,
    WantedRecord,
)
from services.dept_adapter.domain.events import LookupRequested
from services.dept_adapter.domain.lookup import Lookup, replay_lookup
from services.dept_adapter.domain.outcomes import Retryable, Terminal
from services.dept_adapter.domain.sharing import Records, read_answer, request_body
from services.dept_adapter.handlers.lookup import LookupWork, RegisterCalls
from services.dept_adapter.settings import DepartmentsConfigError, RegisterConfig, parse_registers

APPLICATION = UUID("0193a1c2-7c1e-7d2a-9f1e-3b2a1c0d9e8f")
POPULATION = DatasetLookup(
    dataset="population",
    purpose="*intake",
    materials=("id-legal-person", "id-shareholders"),
    subtasks=("amr-licence",),
    records=(
        WantedRecord(key="330106199003071236", fields=("birth_date", "name")),
        WantedRecord(key="330102199208152421", fields=("name",)),
    ),
)
WHOLE = {
    "name": "陈思远",
    "gender": "男",
    "birth_date": "1990-03-07",
    "ethnicity": "汉族",
    "household_address": "浙江省杭州市西湖区文三路259号5幢2单元601室",
}


def platform_answer(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"dataset": "population", "records": list(entries)}).encode()


def test_the_request_says_who_asks_why_for_which_application_and_only_the_fields_used() -> None:
    assert request_body(POPULATION, "business-startup", APPLICATION) == {
        "requester": "onewindow",
        "purpose": {"matter": "business-startup", "subtask": "*intake"},
        "application_id": str(APPLICATION),
        "keys": ["330106199003071236", "330102199208152421"],
        "fields": ["birth_date", "name"],
    }


def test_each_record_keeps_only_the_fields_asked_for_its_key_whatever_came_back() -> None:
    body = platform_answer(
        {
            "key": "330106199003071236",
            "found": True,
            "record": WHOLE,
            "version": "v1",
            "digest": "sha256:aa",
        },
        {"key": "330102199208152421", "found": True, "record": WHOLE | {"name": "林晓燕"}},
    )
    answer = read_answer(POPULATION, 200, body, None)
    assert isinstance(answer, Records)
    first, second = answer.records
    assert first.record == {"birth_date": "1990-03-07", "name": "陈思远"}
    assert (first.version, first.digest) == ("v1", "sha256:aa")
    assert second.record == {"name": "林晓燕"}  # its birth date was not asked for it


def test_a_key_not_held_is_found_false_and_a_key_left_out_is_not_understood() -> None:
    missing = platform_answer(
        {"key": "330102199208152421", "found": False},
        {"key": "330106199003071236", "found": True, "record": WHOLE},
    )
    answer = read_answer(POPULATION, 200, missing, None)
    assert isinstance(answer, Records)
    first, second = answer.records  # in the order asked
    assert (first.key, first.found) == ("330106199003071236", True)
    assert (second.key, second.found, second.record) == ("330102199208152421", False, {})
    short = platform_answer({"key": "330106199003071236", "found": True, "record": WHOLE})
    assert isinstance(read_answer(POPULATION, 200, short, None), Terminal)
    assert isinstance(read_answer(POPULATION, 200, b"<html>", None), Terminal)


@pytest.mark.parametrize(
    ("status", "retry_after", "kind"),
    [
        (503, "2", Retryable),
        (429, None, Retryable),
        (500, None, Retryable),
        (400, None, Terminal),
        (401, None, Terminal),
        (404, None, Terminal),
    ],
)
def test_statuses(status: int, retry_after: str | None, kind: type) -> None:
    body = json.dumps({"error": "bad_request", "message": "keys[0]: empty"}).encode()
    answer = read_answer(POPULATION, status, body, retry_after)
    assert isinstance(answer, kind)
    if status == 503:
        assert isinstance(answer, Retryable) and answer.retry_after == 2.0
    if status == 400:
        assert isinstance(answer, Terminal) and "keys[0]: empty" in answer.error


def test_every_register_is_read_with_the_defaults_unless_the_file_says_otherwise() -> None:
    registers = parse_registers(
        {
            "defaults": {"max_attempts": 2, "breaker": {"open_seconds": 9}},
            "registers": {
                "population": {
                    "base_url": "https://pop.example.cn/sharing",
                    "breaker": {"failure_threshold": 2},
                }
            },
        }
    )
    assert len(registers) == 7
    assert registers["tax-filings"].max_attempts == 2
    assert registers["population"].base_url == "https://pop.example.cn/sharing"
    assert registers["population"].breaker.open_seconds == 9
    assert registers["population"].breaker.failure_threshold == 2
    assert parse_registers(None)["population"] == RegisterConfig()


@pytest.mark.parametrize(
    ("document", "names"),
    [
        ({"registers": {"passports": {}}}, "register 'passports': unknown"),
        ({"registers": {"population": {"timeout_seconds": 0}}}, "'timeout_seconds'"),
        ({"registers": {"population": {"protocol": "rest"}}}, "'protocol'"),
        ({"register": {}}, "unknown top-level keys"),
    ],
)
def test_a_bad_registers_file_names_the_register_and_field(document: Any, names: str) -> None:
    with pytest.raises(DepartmentsConfigError, match=names):
        parse_registers(document, "registers.yaml")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeRegister:
    """Answers from a script, one answer per call; the last one again once it is used up."""

    def __init__(self, *answers: Any) -> None:
        self.answers, self.calls = list(answers), 0

    async def look_up(
        self, lookup: DatasetLookup, matter: str, application_id: UUID, idempotency_key: str
    ) -> Any:
        self.calls += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class FakeLog:
    def __init__(self, lookup: Lookup) -> None:
        self.events = [lookup.requested]
        self.answered: list[Envelope] = []

    async def lookup(self, key: str) -> Lookup | None:
        return replay_lookup([*self.events, *self.answered])

    async def answer(self, lookup: Lookup, events: Sequence[Envelope]) -> None:
        self.answered.extend(events)


def requested(*parts: DatasetLookup) -> Lookup:
    asked = LookupRequested(
        lookup_key=f"{APPLICATION}:lookup:1", matter="business-startup", lookups=parts
    )
    found = replay_lookup([Envelope.new(asked, application_id=APPLICATION, producer="t")])
    assert found is not None
    return found


def calls(register: FakeRegister, clock: Clock, **config: Any) -> RegisterCalls:
    settings = RegisterConfig(**{"max_attempts": 3, **config})
    health = settings.health(clock, draw=lambda: 0.5)
    return RegisterCalls("population", settings, register, health)  # type: ignore[arg-type]


def work(registers: dict[str, RegisterCalls], clock: Clock, slept: list[float]) -> LookupWork:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    return LookupWork(registers, clock, sleep)


def answered(log: FakeLog) -> RegisterLookupAnswered:
    (envelope,) = log.answered
    return RegisterLookupAnswered.model_validate(envelope.payload)


FOUND = Records(())


async def test_a_register_failing_twice_answers_on_the_third_attempt() -> None:
    clock, slept = Clock(), list[float]()
    register = FakeRegister(Retryable("platform answered 503"), Retryable("time-out"), FOUND)
    log = FakeLog(requested(POPULATION))
    registers = {"population": calls(register, clock)}
    await work(registers, clock, slept).look_at(log, f"{APPLICATION}:lookup:1")
    (answer,) = answered(log).answers
    assert (answer.available, answer.attempts, register.calls) == (True, 3, 3)
    assert len(slept) == 2 and registers["population"].health.breaker.state.value == "closed"


async def test_a_register_down_answers_unavailable_after_its_attempts_and_never_waits_more() -> (
    None
):
    clock, slept = Clock(), list[float]()
    register = FakeRegister(Retryable("platform answered 503", retry_after=60.0))
    log = FakeLog(requested(POPULATION))
    await work({"population": calls(register, clock)}, clock, slept).look_at(log, "k")
    (answer,) = answered(log).answers
    assert (answer.available, answer.attempts, answer.error) == (False, 3, "platform answered 503")
    assert sum(slept) <= 2 * RegisterConfig().backoff.cap_seconds  # Retry-After capped too
    assert answer.materials == POPULATION.materials and answer.records == ()


async def test_an_open_breaker_answers_unavailable_at_once_and_a_refusal_is_not_retried() -> None:
    clock, slept = Clock(), list[float]()
    register = FakeRegister(Retryable("platform answered 500"))
    population = calls(
        register, clock, give_up_seconds=10, breaker={"failure_threshold": 2, "open_seconds": 30}
    )
    for _ in range(2):
        population.health.breaker.failed()
    log = FakeLog(requested(POPULATION))
    await work({"population": population}, clock, slept).look_at(log, "k")
    (answer,) = answered(log).answers
    assert (answer.available, answer.attempts, register.calls) == (False, 0, 0)
    assert answer.error and answer.error.startswith("circuit open")
    assert slept == []  # it would open again only after the lookup's time: not waited for

    refused = FakeRegister(Terminal("platform refused the lookup: 401"))
    log = FakeLog(requested(POPULATION))
    await work({"population": calls(refused, clock)}, clock, slept).look_at(log, "k")
    (answer,) = answered(log).answers
    assert (answer.available, answer.attempts, refused.calls) == (False, 1, 1)


async def test_a_flaky_register_is_waited_for_while_its_breaker_is_open_within_the_time() -> None:
    clock, slept = Clock(), list[float]()
    failures = [Retryable("platform answered 503")] * 2
    register = FakeRegister(*failures, FOUND)
    population = calls(register, clock, breaker={"failure_threshold": 2, "open_seconds": 20})
    log = FakeLog(requested(POPULATION))
    await work({"population": population}, clock, slept).look_at(log, "k")
    (answer,) = answered(log).answers
    assert (answer.available, answer.attempts) == (True, 3)
    assert slept[-1] == pytest.approx(20, abs=0.5)  # until the breaker let a probe through


async def test_every_register_of_a_lookup_at_once_and_an_unknown_one_unavailable() -> None:
    clock, slept = Clock(), list[float]()
    registry = POPULATION.model_copy(update={"dataset": "business-registry"})
    passports = POPULATION.model_copy(update={"dataset": "passports"})
    log = FakeLog(requested(POPULATION, registry, passports))
    registers = {
        "population": calls(FakeRegister(FOUND), clock),
        "business-registry": calls(FakeRegister(FOUND), clock),
    }
    await work(registers, clock, slept).look_at(log, "k")
    answers = answered(log).answers
    assert [(a.dataset, a.available) for a in answers] == [
        ("population", True),
        ("business-registry", True),
        ("passports", False),
    ]
    assert answers[2].error == "register 'passports' is not configured"
    await work(registers, clock, slept).look_at(log, "k")  # answered: not fetched again
    assert len(log.answered) == 1

"""intake's command handlers on the in-memory unit of work: what each appends to the
application's stream and hands the read model, what it claims, and what it refuses (leaving
nothing behind)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from uuid import UUID

import pytest
from uuid6 import uuid7

from contracts.calendar import load_calendar
from contracts.catalog import load_catalog
from contracts.commands import (
    CloseFollowUp,
    CollectResult,
    EvaluateApplication,
    HandInMaterials,
    SubmitApplication,
    SubmitSupplement,
    WithdrawApplication,
)
from contracts.envelope import Envelope
from contracts.events import (
    ApplicationEvaluated,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    FollowUpClosed,
    FollowUpOpened,
    MaterialsHandedIn,
    ResultCollected,
    SupplementSubmitted,
)
from contracts.registry import decode
from eventlog.unit_of_work import InMemoryLog, InMemoryUnitOfWork
from services.intake import handlers
from services.intake.adapters.commands import CommandUnitOfWork
from services.intake.adapters.follow_ups import FollowUpCase
from services.intake.adapters.idempotency import Remembered
from services.intake.adapters.projection import ReadModel
from services.intake.adapters.queries import ApplicationState
from services.intake.domain.aftercare import follow_up_case
from services.intake.domain.callers import Caller
from services.intake.domain.errors import (
    AlreadyDone,
    ApplicationClosed,
    ApplicationNotFound,
    FollowUpNotFound,
    IdempotencyKeyReused,
    InvalidApplication,
    KindNotAllowed,
    NotCollectable,
    NotDecided,
    NothingOwed,
    NoticeNotPending,
)
from tests.integration.applications import example

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday
WEB, OTHER = Caller("web-1", "web"), Caller("web-2", "web")
CLERK, WINDOW = Caller("clerk-1", "clerk"), Caller("window-1", "window")


class FixedClock:
    def now(self) -> datetime:
        return NOW


RULES = handlers.Rules(load_catalog(), load_calendar(), FixedClock())


class Applications:
    """The read model's rows a command locks: (filing client, state) per application."""

    def __init__(self) -> None:
        self.rows: dict[UUID, tuple[str, ApplicationState]] = {}

    def add(self, state: ApplicationState, client: str = WEB.client_id) -> UUID:
        application_id = uuid7()
        self.rows[application_id] = (client, state)
        return application_id

    async def lock(self, caller: Caller, application_id: UUID) -> ApplicationState | None:
        row = self.rows.get(application_id)
        return row[1] if row is not None and caller.may_see(row[0]) else None


class Keys:
    """Claims are the unit's until it commits; a unit rolled back forgets its own."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], Remembered] = {}
        self.claimed: dict[tuple[str, str], Remembered] = {}

    async def claim(
        self, client_id: str, key: str, request_sha256: str, application_id: UUID, receipt: str
    ) -> bool:
        if (client_id, key) in self.kept | self.claimed:
            return False
        self.claimed[client_id, key] = Remembered(request_sha256, application_id, receipt)
        return True

    async def recall(self, client_id: str, key: str) -> Remembered:
        return (self.kept | self.claimed)[client_id, key]


class FollowUps:
    def __init__(self) -> None:
        self.cases: dict[str, FollowUpCase] = {}

    async def find(self, case_id: str) -> FollowUpCase | None:
        return self.cases.get(case_id)


class Projected(ReadModel):
    """What reached the read model at commit, instead of its tables."""

    def __init__(self) -> None:
        super().__init__(conn=None)  # type: ignore[arg-type]
        self.written: list[Envelope] = []

    async def flush(self) -> None:
        self.written += [envelope for envelope, _, _ in self.pending]
        self.pending.clear()


class InMemoryCommands(CommandUnitOfWork):
    def __init__(self) -> None:
        self.events = InMemoryLog()
        self.read_model = Projected()
        self.applications: Applications = Applications()
        self.keys: Keys = Keys()
        self.follow_ups: FollowUps = FollowUps()
        self.commits = 0

    async def __aenter__(self) -> InMemoryCommands:
        self.log = InMemoryUnitOfWork(self.events, [self.read_model])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.keys.claimed.clear()
        self.read_model.rewind(None)

    async def commit(self) -> None:
        await self.log.commit()
        self.keys.kept |= self.keys.claimed
        self.commits += 1

    def recorded(self, application_id: UUID) -> list[Any]:
        stream = self.events.streams.get(handlers.application_stream(application_id), [])
        return [decode(e) for e in stream]


@pytest.fixture
def uow() -> InMemoryCommands:
    return InMemoryCommands()


def open_state(**changes: Any) -> ApplicationState:
    return replace(ApplicationState("business-startup", "in_progress", None), **changes)


def decided(decision: str = "approved", **changes: Any) -> ApplicationState:
    return open_state(status=decision, decision=decision, **changes)


SUBMISSION = SubmitApplication.model_validate(example())


async def test_submit_records_the_application_under_its_key(uow: InMemoryCommands) -> None:
    accepted = await handlers.submit(uow, RULES, WEB, "key-1", SUBMISSION, "sha-1")

    [submitted] = uow.recorded(accepted.application_id)
    assert isinstance(submitted, ApplicationSubmitted)
    assert (submitted.matter, submitted.client, submitted.channel) == (
        "business-startup",
        "web-1",
        "web",
    )
    assert submitted.receipt_number == accepted.receipt_number
    assert [e.event_type for e in uow.read_model.written] == ["ApplicationSubmitted"]
    assert uow.read_model.written[0].occurred_at == NOW
    assert uow.keys.kept["web-1", "key-1"].application_id == accepted.application_id
    assert accepted.status_url == f"/v1/applications/{accepted.application_id}"


async def test_submit_again_under_the_key_answers_the_same_or_refuses(
    uow: InMemoryCommands,
) -> None:
    first = await handlers.submit(uow, RULES, WEB, "key-1", SUBMISSION, "sha-1")

    again = await handlers.submit(uow, RULES, WEB, "key-1", SUBMISSION, "sha-1")
    assert again == first
    with pytest.raises(IdempotencyKeyReused):
        await handlers.submit(uow, RULES, WEB, "key-1", SUBMISSION, "sha-other")
    other_client = await handlers.submit(uow, RULES, OTHER, "key-1", SUBMISSION, "sha-1")

    assert other_client.application_id != first.application_id
    assert len(uow.events.streams) == 2 and uow.commits == 2


async def test_an_invalid_submission_leaves_nothing(uow: InMemoryCommands) -> None:
    body = example()
    body["form"]["company"]["registered_capital"] = -1

    with pytest.raises(InvalidApplication) as refused:
        await handlers.submit(
            uow, RULES, WEB, "key-1", SubmitApplication.model_validate(body), "sha"
        )

    assert "form.company.registered_capital" in [e.field for e in refused.value.errors]
    assert uow.events.streams == {} and uow.keys.kept == {} and uow.commits == 0


async def test_a_supplement_answers_only_the_pending_notice(uow: InMemoryCommands) -> None:
    application_id = uow.applications.add(open_state(pending_notice="N-1"))
    answer = SubmitSupplement(notice_id="N-2")

    with pytest.raises(NoticeNotPending):
        await handlers.supplement(uow, RULES, WEB, application_id, answer)
    await handlers.supplement(
        uow, RULES, WEB, application_id, answer.model_copy(update={"notice_id": "N-1"})
    )

    [supplemented] = uow.recorded(application_id)
    assert isinstance(supplemented, SupplementSubmitted)
    assert (supplemented.notice_id, supplemented.in_person) == ("N-1", False)


async def test_a_later_command_continues_the_stream(uow: InMemoryCommands) -> None:
    accepted = await handlers.submit(uow, RULES, WEB, "key-1", SUBMISSION, "sha-1")
    uow.applications.rows[accepted.application_id] = (WEB.client_id, open_state())

    await handlers.withdraw(
        uow, RULES, WEB, accepted.application_id, WithdrawApplication(reason="不办了")
    )

    stream = uow.events.streams[handlers.application_stream(accepted.application_id)]
    assert [e.event_type for e in stream] == ["ApplicationSubmitted", "ApplicationWithdrawn"]


async def test_withdraw_refuses_a_closed_application_and_others_applications(
    uow: InMemoryCommands,
) -> None:
    closed = uow.applications.add(decided())
    mine = uow.applications.add(open_state())
    reason = WithdrawApplication(reason="不办了")

    with pytest.raises(ApplicationClosed):
        await handlers.withdraw(uow, RULES, WEB, closed, reason)
    with pytest.raises(ApplicationNotFound):
        await handlers.withdraw(uow, RULES, OTHER, mine, reason)
    await handlers.withdraw(uow, RULES, CLERK, mine, reason)

    assert uow.recorded(closed) == []
    [withdrawn] = uow.recorded(mine)
    assert isinstance(withdrawn, ApplicationWithdrawn) and withdrawn.reason == "不办了"


async def test_a_low_rating_opens_a_follow_up_caused_by_it(uow: InMemoryCommands) -> None:
    application_id = uow.applications.add(decided())

    await handlers.evaluate(
        uow, RULES, WEB, application_id, EvaluateApplication(rating=2, comment="太慢")
    )

    evaluated, opened = uow.recorded(application_id)
    assert isinstance(evaluated, ApplicationEvaluated) and evaluated.recorded_by == "applicant"
    assert isinstance(opened, FollowUpOpened)
    assert opened.case_id == follow_up_case(application_id)
    assert opened.time_limit_days == RULES.catalog.matter("business-startup").follow_up_days
    first, second = uow.events.streams[handlers.application_stream(application_id)]
    assert second.causation_id == first.event_id


async def test_evaluations_are_given_once_after_the_outcome(uow: InMemoryCommands) -> None:
    undecided = uow.applications.add(open_state())
    evaluated = uow.applications.add(decided(evaluated=True))
    fresh = uow.applications.add(decided())
    good = EvaluateApplication(rating=5)

    with pytest.raises(NotDecided):
        await handlers.evaluate(uow, RULES, WEB, undecided, good)
    with pytest.raises(AlreadyDone):
        await handlers.evaluate(uow, RULES, WEB, evaluated, good)
    await handlers.evaluate(uow, RULES, CLERK, fresh, good)

    [by_clerk] = uow.recorded(fresh)
    assert isinstance(by_clerk, ApplicationEvaluated) and by_clerk.recorded_by == "clerk"
    assert uow.recorded(undecided) == uow.recorded(evaluated) == []


async def test_a_clerk_closes_an_open_follow_up_once(uow: InMemoryCommands) -> None:
    application_id = uow.applications.add(decided(evaluated=True))
    case_id = follow_up_case(application_id)
    uow.follow_ups.cases[case_id] = FollowUpCase(application_id, closed=False)
    answer = CloseFollowUp(response="已电话回访并整改")

    with pytest.raises(KindNotAllowed):
        await handlers.close_follow_up(uow, RULES, WEB, case_id, answer)
    with pytest.raises(FollowUpNotFound):
        await handlers.close_follow_up(uow, RULES, CLERK, "FU-unknown", answer)
    await handlers.close_follow_up(uow, RULES, CLERK, case_id, answer)
    [closed] = uow.recorded(application_id)
    assert isinstance(closed, FollowUpClosed) and closed.clerk == "clerk-1"

    uow.follow_ups.cases[case_id] = FollowUpCase(application_id, closed=True)
    with pytest.raises(AlreadyDone):
        await handlers.close_follow_up(uow, RULES, CLERK, case_id, answer)
    assert len(uow.recorded(application_id)) == 1


async def test_deferred_materials_are_handed_in_only_when_owed(uow: InMemoryCommands) -> None:
    owing = uow.applications.add(open_state(owed=("lease-contract",)))
    clear = uow.applications.add(open_state())

    with pytest.raises(NothingOwed):
        await handlers.hand_in(uow, RULES, WEB, clear, HandInMaterials(materials=["x"]))
    with pytest.raises(InvalidApplication):
        await handlers.hand_in(uow, RULES, WEB, owing, HandInMaterials(materials=["id-card"]))
    await handlers.hand_in(uow, RULES, CLERK, owing, HandInMaterials(materials=["lease-contract"]))

    [handed] = uow.recorded(owing)
    assert isinstance(handed, MaterialsHandedIn)
    assert (handed.materials, handed.in_person) == (("lease-contract",), True)


async def test_a_paper_result_is_collected_once_at_a_counter(uow: InMemoryCommands) -> None:
    paper = uow.applications.add(decided(collection="pickup"))
    electronic = uow.applications.add(decided())
    rejected = uow.applications.add(decided("rejected", collection="pickup"))
    collected = uow.applications.add(decided(collection="pickup", collected=True))
    pickup = CollectResult(method="pickup")

    with pytest.raises(KindNotAllowed):
        await handlers.collect(uow, RULES, WEB, paper, pickup)
    for refused in (electronic, rejected):
        with pytest.raises(NotCollectable):
            await handlers.collect(uow, RULES, CLERK, refused, pickup)
    with pytest.raises(AlreadyDone):
        await handlers.collect(uow, RULES, CLERK, collected, pickup)
    await handlers.collect(uow, RULES, CLERK, paper, pickup)

    [picked_up] = uow.recorded(paper)
    assert isinstance(picked_up, ResultCollected) and picked_up.in_person
    assert all(uow.recorded(a) == [] for a in (electronic, rejected, collected))

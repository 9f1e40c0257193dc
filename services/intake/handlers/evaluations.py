"""好差评: one rating per application after its outcome; a low one opens a follow-up case
that a clerk closes with a response. The case's clock is kept by the router."""

from __future__ import annotations

from uuid import UUID

from contracts.commands import CloseFollowUp, EvaluateApplication
from contracts.envelope import Event
from contracts.events import ApplicationEvaluated, FollowUpClosed, FollowUpOpened
from services.intake.adapters.commands import CommandUnitOfWork
from services.intake.domain.aftercare import LOW_RATINGS, evaluation_recorder, follow_up_case
from services.intake.domain.callers import Caller
from services.intake.domain.errors import AlreadyDone, FollowUpNotFound, KindNotAllowed, NotDecided
from services.intake.domain.views import RequestAccepted
from services.intake.handlers.journal import Rules, locked, record, status_url


async def evaluate(
    uow: CommandUnitOfWork,
    rules: Rules,
    caller: Caller,
    application_id: UUID,
    evaluation: EvaluateApplication,
) -> RequestAccepted:
    async with uow:
        state = await locked(uow, caller, application_id)
        if state.decision is None:
            raise NotDecided(state.status)
        if state.evaluated:
            raise AlreadyDone("already_evaluated", "该申请已评价 / already evaluated")
        recorder = evaluation_recorder(caller)
        events: list[Event] = [
            ApplicationEvaluated(
                rating=evaluation.rating, comment=evaluation.comment, recorded_by=recorder
            )
        ]
        if evaluation.rating in LOW_RATINGS:
            days = rules.catalog.matter(state.matter).follow_up_days
            events.append(
                FollowUpOpened(
                    case_id=follow_up_case(application_id),
                    rating=evaluation.rating,
                    comment=evaluation.comment,
                    time_limit_days=days,
                    recorded_by=recorder,
                )
            )
        await record(uow, rules.clock, application_id, *events)
        await uow.commit()
    return RequestAccepted(application_id=application_id, status_url=status_url(application_id))


async def close_follow_up(
    uow: CommandUnitOfWork, rules: Rules, caller: Caller, case_id: str, answer: CloseFollowUp
) -> RequestAccepted:
    if not caller.sees_all:
        raise KindNotAllowed(caller.kind, ("clerk",), "处理回访工单")
    async with uow:
        case = await uow.follow_ups.find(case_id)
        if case is None:
            raise FollowUpNotFound(case_id)
        # Under the application's lock (as every command), so two closes see each other.
        await locked(uow, caller, case.application_id)
        case = await uow.follow_ups.find(case_id)
        if case is None or case.closed:
            raise AlreadyDone(
                "follow_up_closed", "回访工单已办结 / the follow-up is closed", {"case_id": case_id}
            )
        closed = FollowUpClosed(case_id=case_id, response=answer.response, clerk=caller.client_id)
        await record(uow, rules.clock, case.application_id, closed)
        await uow.commit()
    return RequestAccepted(
        application_id=case.application_id, status_url=status_url(case.application_id)
    )

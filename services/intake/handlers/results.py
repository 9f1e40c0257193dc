"""After acceptance: deferred materials handed in (容缺补交); the one result collected."""

from __future__ import annotations

from uuid import UUID

from contracts.commands import CollectResult, HandInMaterials
from contracts.events import MaterialsHandedIn, ResultCollected
from services.intake.adapters.commands import CommandUnitOfWork
from services.intake.domain.callers import Caller
from services.intake.domain.checks import hand_in_errors
from services.intake.domain.errors import (
    AlreadyDone,
    InvalidApplication,
    KindNotAllowed,
    NotCollectable,
    NotDecided,
    NothingOwed,
)
from services.intake.domain.views import RequestAccepted
from services.intake.handlers.journal import Rules, locked, record, status_url

COUNTER_KINDS = ("window", "clerk")


async def hand_in(
    uow: CommandUnitOfWork,
    rules: Rules,
    caller: Caller,
    application_id: UUID,
    handed: HandInMaterials,
) -> RequestAccepted:
    async with uow:
        state = await locked(uow, caller, application_id)
        if not state.owed:
            raise NothingOwed()
        errors = hand_in_errors(state.owed, handed.materials)
        if errors:
            raise InvalidApplication(errors)
        event = MaterialsHandedIn(materials=tuple(handed.materials), in_person=caller.at_counter)
        await record(uow, rules.clock, application_id, event)
        await uow.commit()
    return RequestAccepted(application_id=application_id, status_url=status_url(application_id))


async def collect(
    uow: CommandUnitOfWork,
    rules: Rules,
    caller: Caller,
    application_id: UUID,
    collection: CollectResult,
) -> RequestAccepted:
    """Recorded at a hall's counter: the applicant picks the result up, or it is sent."""
    if not caller.at_counter:
        raise KindNotAllowed(caller.kind, COUNTER_KINDS, "登记结果领取")
    async with uow:
        state = await locked(uow, caller, application_id)
        if state.decision is None:
            raise NotDecided(state.status)
        if state.decision != "approved" or state.collection == "electronic":
            raise NotCollectable(state.decision, state.collection)
        if state.collected:
            raise AlreadyDone("already_collected", "结果已领取或寄出 / already collected")
        pickup = collection.method == "pickup"
        event = ResultCollected(method=collection.method, in_person=pickup)
        await record(uow, rules.clock, application_id, event)
        await uow.commit()
    return RequestAccepted(application_id=application_id, status_url=status_url(application_id))

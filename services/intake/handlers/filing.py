"""Filing an application, answering its supplement notice, withdrawing it."""

from __future__ import annotations

from uuid import UUID

from uuid6 import uuid7

from contracts.commands import (
    SubmitApplication,
    SubmitSupplement,
    WithdrawApplication,
)
from contracts.events import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    Delivery,
    SupplementSubmitted,
)
from services.intake import metrics
from services.intake.adapters.commands import CommandUnitOfWork
from services.intake.domain.callers import Caller
from services.intake.domain.checks import (
    deferral_errors,
    delivery_errors,
    submission_errors,
    supplement_errors,
)
from services.intake.domain.errors import (
    ApplicationClosed,
    IdempotencyKeyReused,
    InvalidApplication,
    NoticeNotPending,
)
from services.intake.domain.progress import CLOSED
from services.intake.domain.receipts import receipt_number
from services.intake.domain.views import RequestAccepted, SubmissionAccepted
from services.intake.handlers.journal import Rules, locked, record, status_url


async def submit(
    uow: CommandUnitOfWork,
    rules: Rules,
    caller: Caller,
    idempotency_key: str,
    submission: SubmitApplication,
    request_sha256: str,
) -> SubmissionAccepted:
    matter = rules.catalog.matter(submission.matter)
    now = rules.clock.now()
    errors = [
        *submission_errors(matter, submission.form, submission.materials),
        *deferral_errors(
            matter,
            submission.materials,
            submission.deferred_materials,
            submission.materials_promised_by,
            today=now.astimezone(rules.calendar.zone).date(),
            calendar=rules.calendar,
        ),
        *delivery_errors(submission.delivery, rules.webhook_allow),
    ]
    if errors:
        raise InvalidApplication(errors)
    application_id = uuid7()
    receipt = receipt_number(application_id, now)
    async with uow:
        if not await uow.keys.claim(
            caller.client_id, idempotency_key, request_sha256, application_id, receipt
        ):
            known = await uow.keys.recall(caller.client_id, idempotency_key)
            if known.request_sha256 != request_sha256:
                raise IdempotencyKeyReused(idempotency_key)
            return SubmissionAccepted(
                application_id=known.application_id,
                receipt_number=known.receipt_number,
                status_url=status_url(known.application_id),
            )
        submitted = ApplicationSubmitted(
            matter=matter.code,
            channel=caller.channel,
            client=caller.client_id,
            receipt_number=receipt,
            applicant=submission.applicant.model_dump(exclude_none=True),
            form=submission.form,
            materials=tuple(submission.materials),
            delivery=Delivery(**submission.delivery.model_dump()),
            in_person=caller.at_counter,
            collection=submission.collection,
            deferred_materials=tuple(submission.deferred_materials),
            materials_promised_by=submission.materials_promised_by,
        )
        uow.log.after_commit(
            metrics.SUBMITTED.labels(matter=matter.code, channel=caller.channel).inc
        )
        await record(uow, rules.clock, application_id, submitted, new=True)
        await uow.commit()
    return SubmissionAccepted(
        application_id=application_id,
        receipt_number=receipt,
        status_url=status_url(application_id),
    )


async def supplement(
    uow: CommandUnitOfWork,
    rules: Rules,
    caller: Caller,
    application_id: UUID,
    answer: SubmitSupplement,
) -> RequestAccepted:
    async with uow:
        state = await locked(uow, caller, application_id)
        if state.pending_notice != answer.notice_id:
            raise NoticeNotPending(answer.notice_id, state.pending_notice)
        matter = rules.catalog.matter(state.matter)
        errors = supplement_errors(matter, answer.form, answer.materials)
        if errors:
            raise InvalidApplication(errors)
        supplemented = SupplementSubmitted(
            notice_id=answer.notice_id,
            materials=tuple(answer.materials),
            form=answer.form or {},
            in_person=caller.at_counter,
        )
        await record(uow, rules.clock, application_id, supplemented)
        await uow.commit()
    return RequestAccepted(application_id=application_id, status_url=status_url(application_id))


async def withdraw(
    uow: CommandUnitOfWork,
    rules: Rules,
    caller: Caller,
    application_id: UUID,
    withdrawal: WithdrawApplication,
) -> RequestAccepted:
    async with uow:
        state = await locked(uow, caller, application_id)
        if state.status in CLOSED:
            raise ApplicationClosed(state.status)
        withdrawn = ApplicationWithdrawn(reason=withdrawal.reason)
        await record(uow, rules.clock, application_id, withdrawn)
        await uow.commit()
    return RequestAccepted(application_id=application_id, status_url=status_url(application_id))

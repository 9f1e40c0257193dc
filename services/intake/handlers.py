"""intake's handlers: submit, supplement, withdraw; and the read model's consumer.

Each command appends its event and applies it to the read model in one transaction, so
the client sees the change at once, and the consumer's later copy of it is a no-op.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg
from uuid6 import uuid7

from contracts.catalog import Catalog
from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    Delivery,
    SupplementSubmitted,
)
from eventlog.inbox import UnitOfWork, Unprocessable
from eventlog.store import Connection, StreamAppend, append_streams
from services.intake.adapters import idempotency
from services.intake.adapters.projection import UnreadableEvent, apply
from services.intake.adapters.queries import ApplicationState, lock_application
from services.intake.domain.callers import Caller
from services.intake.domain.checks import submission_errors, supplement_errors
from services.intake.domain.errors import (
    ApplicationClosed,
    ApplicationNotFound,
    IdempotencyKeyReused,
    InvalidApplication,
    NoticeNotPending,
)
from services.intake.domain.progress import CLOSED
from services.intake.domain.requests import (
    Submission,
    SupplementAnswer,
    Withdrawal,
    receipt_number,
)
from services.intake.domain.views import RequestAccepted, SubmissionAccepted

SERVICE = "intake"


def application_stream(application_id: UUID) -> str:
    return f"application-{application_id}"


def status_url(application_id: UUID) -> str:
    return f"/v1/applications/{application_id}"


async def submit(
    pool: asyncpg.Pool,
    catalog: Catalog,
    caller: Caller,
    idempotency_key: str,
    submission: Submission,
    request_sha256: str,
) -> SubmissionAccepted:
    matter = catalog.matter(submission.matter)
    errors = submission_errors(matter, submission.form, submission.materials)
    if errors:
        raise InvalidApplication(errors)
    application_id = uuid7()
    receipt = receipt_number(application_id, datetime.now(UTC))
    async with pool.acquire() as conn, conn.transaction():
        if not await idempotency.claim(
            conn, caller.client_id, idempotency_key, request_sha256, application_id, receipt
        ):
            known = await idempotency.recall(conn, caller.client_id, idempotency_key)
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
        )
        await _record(conn, application_id, submitted)
    return SubmissionAccepted(
        application_id=application_id,
        receipt_number=receipt,
        status_url=status_url(application_id),
    )


async def supplement(
    pool: asyncpg.Pool,
    catalog: Catalog,
    caller: Caller,
    application_id: UUID,
    answer: SupplementAnswer,
) -> RequestAccepted:
    async with pool.acquire() as conn, conn.transaction():
        state = await _locked(conn, caller, application_id)
        if state.pending_notice != answer.notice_id:
            raise NoticeNotPending(answer.notice_id, state.pending_notice)
        errors = supplement_errors(catalog.matter(state.matter), answer.form, answer.materials)
        if errors:
            raise InvalidApplication(errors)
        supplemented = SupplementSubmitted(
            notice_id=answer.notice_id, materials=tuple(answer.materials), form=answer.form or {}
        )
        await _record(conn, application_id, supplemented)
    return RequestAccepted(application_id=application_id, status_url=status_url(application_id))


async def withdraw(
    pool: asyncpg.Pool, caller: Caller, application_id: UUID, withdrawal: Withdrawal
) -> RequestAccepted:
    async with pool.acquire() as conn, conn.transaction():
        state = await _locked(conn, caller, application_id)
        if state.status in CLOSED:
            raise ApplicationClosed(state.status)
        await _record(conn, application_id, ApplicationWithdrawn(reason=withdrawal.reason))
    return RequestAccepted(application_id=application_id, status_url=status_url(application_id))


async def project(envelope: Envelope, uow: UnitOfWork) -> None:
    """The read model's consumer: every topic, through the inbox."""
    try:
        await apply(uow.conn, envelope)
    except UnreadableEvent as exc:
        raise Unprocessable(str(exc)) from exc


async def _locked(conn: Connection, caller: Caller, application_id: UUID) -> ApplicationState:
    # The row lock serialises commands on one application: a second withdrawal sees the first.
    state = await lock_application(conn, caller, application_id)
    if state is None:
        raise ApplicationNotFound(application_id)
    return state


async def _record(conn: Connection, application_id: UUID, event: Event) -> None:
    stream = application_stream(application_id)
    version = await conn.fetchval(
        "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1", stream
    )
    envelope = Envelope.new(event, application_id=application_id, producer=SERVICE)
    await append_streams(conn, [StreamAppend(stream, version, [envelope])])
    await apply(conn, envelope)

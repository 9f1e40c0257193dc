"""What the router records when something happens to an application: pure, no I/O.

`record` turns the incoming fact into the router's record (if it changes anything); `advance`
(planning.py) then moves the process on.
"""

from __future__ import annotations

from datetime import datetime

from contracts.catalog import Matter
from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    FollowUpClosed,
    FollowUpOpened,
    MaterialsHandedIn,
    RegisterLookupAnswered,
    SupplementSubmitted,
)
from contracts.registry import decode, decode_as
from contracts.topics import TASK_RESULT_TYPES
from services.router.domain.events import (
    FollowUpEnded,
    FollowUpTracked,
    LibraryCertificate,
    LookupRecorded,
    MaterialsRecorded,
    ProcessStarted,
    SupplementAccepted,
    WithdrawalRecorded,
)
from services.router.domain.process import Process
from services.router.domain.results import NotAnAnswer, judged

Library = tuple[LibraryCertificate, ...]


def started(
    submitted: ApplicationSubmitted, submitted_at: datetime, library: Library = ()
) -> ProcessStarted:
    kind, id_number = submitted.applicant.get("kind"), submitted.applicant.get("id_number")
    return ProcessStarted(
        matter=submitted.matter,
        receipt_number=submitted.receipt_number,
        applicant_name=str(submitted.applicant.get("name") or "申请人"),
        delivery=submitted.delivery,
        form=submitted.form,
        materials=submitted.materials,
        submitted_at=submitted_at,
        deferred_materials=submitted.deferred_materials,
        materials_promised_by=submitted.materials_promised_by,
        library=library,
        applicant_kind=kind if kind in ("person", "company") else None,
        applicant_id=id_number if isinstance(id_number, str) and id_number else None,
    )


def record(
    process: Process, matter: Matter, envelope: Envelope, library: Library = ()
) -> Event | None:
    """The router's record of an incoming fact, or None when it changes nothing (anything
    after the outcome but follow-ups on the applicant's rating). A task result is always
    recorded, applied or ignored (results.py); raises NotAnAnswer for one that names a
    sub-task or filing the application does not have, or for the answer to a lookup it never
    asked for. `library`: what the e-certificate library holds for the holders the incoming
    form names (a supplement's)."""
    if envelope.event_type in (FollowUpOpened.event_type, FollowUpClosed.event_type):
        return _follow_up(process, envelope)
    if envelope.event_type in TASK_RESULT_TYPES:
        return judged(process, matter, envelope)
    if envelope.event_type == RegisterLookupAnswered.event_type:
        return _answered(process, envelope)
    if process.decided:
        return None
    incoming = decode(envelope)
    if isinstance(incoming, SupplementSubmitted):
        if process.ending or incoming.notice_id != process.pending_notice:
            return None
        return SupplementAccepted(
            notice_id=incoming.notice_id,
            materials=incoming.materials,
            form=incoming.form,
            library=library,
        )
    if isinstance(incoming, ApplicationWithdrawn) and not process.ending:
        return WithdrawalRecorded(reason=incoming.reason)
    if isinstance(incoming, MaterialsHandedIn) and not process.ending:
        new = sorted(set(incoming.materials) - process.materials)
        return MaterialsRecorded(materials=tuple(new)) if new else None
    return None


def _answered(process: Process, envelope: Envelope) -> Event | None:
    """The answer to the lookup the process awaits; an earlier lookup's answer (or one
    arriving once the process is ending) changes nothing."""
    answer = decode_as(envelope, RegisterLookupAnswered)
    key, prefix = answer.lookup_key, f"{process.application_id}:lookup:"
    number = key.removeprefix(prefix)
    if not key.startswith(prefix) or not number.isdigit() or int(number) > process.evidence.lookups:
        raise NotAnAnswer(
            f"RegisterLookupAnswered for application {process.application_id} names lookup"
            f" {key!r}, which it never asked for ({process.evidence.lookups} lookups made)"
        )
    if key != process.evidence.pending or process.decided or process.ending:
        return None
    return LookupRecorded(lookup_key=key, answers=answer.answers)


def _follow_up(process: Process, envelope: Envelope) -> Event | None:
    incoming = decode(envelope)
    cases = process.clocks.follow_ups
    if isinstance(incoming, FollowUpOpened) and incoming.case_id not in cases:
        return FollowUpTracked(
            case_id=incoming.case_id,
            opened_at=envelope.occurred_at,
            time_limit_days=incoming.time_limit_days,
        )
    if isinstance(incoming, FollowUpClosed) and incoming.case_id in cases:
        return FollowUpEnded(case_id=incoming.case_id) if cases[incoming.case_id].open else None
    return None


__all__ = ["record", "started"]

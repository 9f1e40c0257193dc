"""From a time-limit event (TimeLimitWarned / TimeLimitExceeded) to the notices prepared
for those who watch the clock, and to the applicant's reminder."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from contracts.catalog import Catalog
from contracts.certificates import utc_timestamp
from contracts.departments import department_name
from services.notifier.domain.applications import (
    KnownApplication,
    material_names,
    subtask_title,
)
from services.notifier.domain.clocks import ClockEvent, clock_key, stage
from services.notifier.domain.contacts import Recipient
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.notices import heading, prepared_for
from services.notifier.domain.reminder_templates import (
    render_deficiency_reminder,
    render_supplement_reminder,
)
from services.notifier.domain.supervision_templates import render_supervision, watched_step


def _clock(event: ClockEvent) -> dict[str, Any]:
    return {
        "stage": stage(event),
        "clock": event.clock,
        "clock_id": event.clock_id,
        "limit": event.limit,
        "limit_days": event.limit_days,
        "department": event.department,
        "department_name": department_name(event.department) if event.department else None,
        "started_at": utc_timestamp(event.started_at),
        "due_at": utc_timestamp(event.due_at),
    }


def supervision_notice(
    application_id: UUID,
    event: ClockEvent,
    recipient: Recipient,
    known: KnownApplication | None,
    catalog: Catalog,
) -> NoticePrepared:
    """`known` is None when the submission is not seen yet; the notice goes out anyway."""
    title = subtask_title(catalog, known.matter if known else None, event.clock_id)
    rendered = render_supervision(application_id, event, recipient.role, known, title)
    document = {
        "kind": "supervision",
        "recipient_role": recipient.role,
        "application_id": str(application_id),
        "receipt_number": known.receipt_number if known else None,
        "matter": known.matter if known else None,
        "matter_name": known.matter_name if known else None,
        "step": watched_step(event, title),
        **_clock(event),
    }
    return NoticePrepared.model_validate(
        {
            "kind": "supervision",
            "notice_key": clock_key(event, recipient.role),
            "channel": recipient.channel,
            "address": recipient.address,
            "subject": rendered.subject,
            "text": rendered.sms if recipient.channel == "sms" else rendered.body,
            "document": document,
        }
    )


def reminder_notice(
    application_id: UUID, event: ClockEvent, known: KnownApplication, catalog: Catalog
) -> NoticePrepared:
    """A deficiency reminder (请于…前补交…) or a supplement reminder, to the applicant's
    own delivery as recorded from the submission."""
    document = {**heading("reminder", application_id, known), **_clock(event)}
    if event.clock == "deficiency":
        owed = material_names(catalog, known.matter, known.materials_owed)
        document["materials_owed"] = [
            {"code": c, "name": n} for c, n in zip(known.materials_owed, owed, strict=True)
        ]
        rendered = render_deficiency_reminder(known, event, owed)
    else:
        rendered = render_supplement_reminder(known, event)
    key = clock_key(event, "applicant")
    return prepared_for("reminder", key, known, rendered, document, None)

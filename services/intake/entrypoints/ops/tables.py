"""The overview's tables: applications in flight, clock alerts, backlogs, adapter health."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from services.intake.domain.ops.views import (
    HELD_BY_DEPARTMENT,
    AdapterHealth,
    Backlog,
    ClockAlert,
    InFlight,
    SubtaskLine,
    age,
)
from services.intake.entrypoints.ops.html import NONE, Markup, items, link, table, tag, when


def application_href(application_id: UUID) -> str:
    return f"/ops/applications/{application_id}"


def in_flight_table(applications: Sequence[InFlight], now: datetime) -> Markup:
    headers = ["Receipt", "Matter", "Status", "Submitted", "Age", "Sub-tasks by department"]
    rows = [
        [
            link(application_href(a.application_id), a.receipt_number),
            a.matter,
            a.status,
            a.submitted_at,
            age(a.submitted_at, now),
            items(_task(s) for s in a.subtasks),
            _next_due(a),
        ]
        for a in applications
    ]
    css = [_due_css(_next_due(a), now) for a in applications]
    return table([*headers, "Next due"], rows, row_css=css, empty="No application in flight.")


def alert_table(alerts: Sequence[ClockAlert], now: datetime, *, listed: bool = False) -> Markup:
    """`listed`: with a column linking to each alert's application."""
    headers = ["Application"] if listed else []
    headers += ["State", "Clock", "Held by", "Since", "Held for", "Warned", "Overdue since", "Due"]
    rows = [
        ([link(application_href(a.application_id), a.receipt_number)] if listed else [])
        + [
            "overdue" if a.overdue else "warning",
            f"{a.clock} {a.clock_id} ({a.limit})",
            a.holder,
            a.started_at,
            age(a.started_at, now),
            a.warned_at,
            a.exceeded_at,
            a.due_at,
        ]
        for a in alerts
    ]
    css = ["overdue" if a.overdue else "warning" for a in alerts]
    return table(headers, rows, row_css=css, empty="No clock past 80 % of its limit.")


def backlog_table(backlog: Sequence[Backlog], now: datetime) -> Markup:
    headers = ["Department", "Dispatched", "Accepted", "Oldest since", "Oldest age", "Overdue"]
    rows = [
        [
            b.department,
            b.dispatched,
            b.accepted,
            b.oldest_since,
            age(b.oldest_since, now),
            b.overdue,
        ]
        for b in backlog
    ]
    css = ["overdue" if b.overdue else None for b in backlog]
    return table(headers, rows, row_css=css, empty="No department holds a sub-task.")


def health_table(health: AdapterHealth) -> Markup:
    where = tag("p", f"dept_adapter at {health.url}", "muted")
    if health.error is not None:
        return Markup(where + tag("p", f"unreachable: {health.error}", "overdue"))
    departments = sorted(health.departments.items())
    rows = [
        [d, h.protocol, h.breaker, h.in_flight, h.pending, h.last_error or NONE]
        for d, h in departments
    ]
    css = [
        None if h.breaker == "closed" and not h.last_error else "warning" for _, h in departments
    ]
    headers = ["Department", "Protocol", "Breaker", "In flight", "Pending", "Last error"]
    return Markup(where + table(headers, rows, row_css=css, empty="No department configured."))


def _task(line: SubtaskLine) -> str:
    held = line.due_at and line.status in HELD_BY_DEPARTMENT
    due = f" · due {when(line.due_at)}" if held else ""
    return f"{line.department} · {line.subtask}: {line.status}{due}"


def _next_due(application: InFlight) -> datetime | None:
    dues = [s.due_at for s in application.subtasks if s.due_at and s.status in HELD_BY_DEPARTMENT]
    dues += [application.notice_due_at] if application.notice_due_at else []
    return min(dues, default=None)


def _due_css(due: datetime | None, now: datetime) -> str | None:
    return "overdue" if due is not None and due < now else None

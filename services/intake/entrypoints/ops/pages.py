"""The ops console's pages: the overview (/ops) and one application (/ops/applications/{id})."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fastapi.responses import HTMLResponse

from services.intake.domain.ops.views import (
    AdapterHealth,
    ApplicationDetail,
    Backlog,
    ClockAlert,
    InFlight,
)
from services.intake.entrypoints.ops.html import link, page, section, table, tag
from services.intake.entrypoints.ops.tables import (
    alert_table,
    backlog_table,
    health_table,
    in_flight_table,
)


def overview(
    applications: Sequence[InFlight],
    total: int,
    alerts: Sequence[ClockAlert],
    backlog: Sequence[Backlog],
    health: AdapterHealth,
    now: datetime,
) -> HTMLResponse:
    shown = f"{total} in flight"
    if total > len(applications):
        shown += f", the oldest {len(applications)} shown"
    return page(
        "In flight",
        [
            section(
                "in-flight",
                "Applications in flight",
                tag("p", shown, "muted"),
                in_flight_table(applications, now),
            ),
            section("alerts", "Warnings and overdues", alert_table(alerts, now, listed=True)),
            section("backlog", "Backlog per department", backlog_table(backlog, now)),
            section("adapter-health", "Adapter health", health_table(health)),
        ],
        now,
    )


def application_page(
    detail: ApplicationDetail, unread: Sequence[str], now: datetime
) -> HTMLResponse:
    summary = table(
        ["Receipt", "Matter", "Status", "Channel", "Submitted", "Last change"],
        [
            [
                detail.receipt_number,
                detail.matter,
                detail.status,
                detail.channel,
                detail.submitted_at,
                detail.updated_at,
            ]
        ],
    )
    subtasks = table(
        ["Sub-task", "Department", "Status", "Department's receipt", "Dispatched", "Due"],
        [
            [s.subtask, s.department, s.status, s.legacy_receipt, s.dispatched_at, s.due_at]
            for s in detail.subtasks
        ],
        empty="Nothing dispatched yet.",
    )
    timeline = table(
        ["#", "Time", "Service", "Log", "Event type", "Trace id", "What happened"],
        [
            [n, e.occurred_at, e.producer, e.log, e.event_type, tag("code", e.trace_id), e.summary]
            for n, e in enumerate(detail.events, start=1)
        ],
        empty="No event in the logs.",
    )
    missing = tag("p", f"Logs not read (missing or not readable): {', '.join(unread)}", "warning")
    return page(
        f"Application {detail.receipt_number or detail.application_id}",
        [
            tag("p", link("/ops", "← all applications in flight")),
            section("summary", "Status", summary),
            section("subtasks", "Sub-tasks", subtasks),
            section("alerts", "Warnings and overdues", alert_table(detail.alerts, now)),
            section(
                "timeline",
                "Timeline: every service's log",
                *([missing] if unread else []),
                timeline,
            ),
        ],
        now,
    )


def message(status: int, title: str, explanation: str, now: datetime) -> HTMLResponse:
    return page(
        title, [tag("p", explanation), tag("p", link("/ops", "OneWindow ops"))], now, status
    )

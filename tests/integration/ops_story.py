"""A business-startup application half-way through, as router, dept_adapter and notifier would
have logged it: amr done, psb (answering on Kafka itself) and hrss done, tax accepted and
past 80 % of its limit, hpf never answered and overdue; one supervision notice sent.

Times are offsets from the submission; every event carries the application's trace.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from contracts.envelope import Envelope, Event
from contracts.events import (
    NoticeDelivered,
    ResultRecorded,
    SubtaskAccepted,
    SubtaskCompleted,
    SubtaskDispatched,
    TimeLimitExceeded,
    TimeLimitWarned,
)
from services.dept_adapter.domain.events import FilingRequested

H = timedelta(hours=1)
S = timedelta(seconds=1)
NOW = 30 * H  # when ops look at it
# From a legacy system, shown back to ops: it must be escaped.
AMR_RECEIPT = "AMR-0001<script>window.pwned=1</script>"
TITLES = {
    "amr-licence": ("amr", "企业设立登记并核发营业执照"),
    "psb-seal": ("psb", "印章刻制备案"),
    "tax-invoice": ("tax", "新办纳税人涉税事项办理及发票申领"),
    "hrss-social-insurance": ("hrss", "单位社会保险登记"),
    "hpf-provident-fund": ("hpf", "住房公积金单位缴存登记"),
}


@dataclass
class Story:
    application_id: UUID
    submitted_at: datetime
    trace_id: str = field(default_factory=lambda: secrets.token_hex(16))
    logged: list[tuple[str, str, Envelope]] = field(default_factory=list)  # log, stream, event

    def add(
        self, log: str, stream: str, event: Event, at: timedelta, producer: str = ""
    ) -> Envelope:
        envelope = Envelope.new(
            event,
            application_id=self.application_id,
            producer=producer or log,
            traceparent=f"00-{self.trace_id}-{secrets.token_hex(8)}-01",
        ).model_copy(update={"occurred_at": self.submitted_at + at})
        self.logged.append((log, stream, envelope))
        return envelope

    def filing(self, subtask: str) -> str:
        return f"{self.application_id}:{subtask}:1"

    def dispatch(self, subtask: str, at: timedelta, due: timedelta) -> None:
        department, title = TITLES[subtask]
        inputs: dict[str, Any] = {"company_name": "杭州一窗科技有限公司"}
        self.add(
            "router",
            self.router_stream,
            SubtaskDispatched(
                subtask=subtask,
                department=department,
                title=title,
                filing_key=self.filing(subtask),
                inputs=inputs,
                time_limit_days=1,
                due_at=self.submitted_at + due,
            ),
            at,
        )
        if department != "psb":  # psb's own system reads onewindow.tasks.psb
            self.add(
                "dept_adapter",
                self.filing_stream(subtask),
                FilingRequested(
                    subtask=subtask,
                    department=department,
                    title=title,
                    filing_key=self.filing(subtask),
                    inputs=inputs,
                    time_limit_days=1,
                ),
                at + S,
            )

    def answer(self, result: Event, at: timedelta) -> None:
        """A department's answer: dept_adapter's (psb's own), and router's record of it."""
        subtask = str(getattr(result, "subtask"))  # noqa: B009
        if subtask == "psb-seal":
            envelope = Envelope.new(
                result,
                application_id=self.application_id,
                producer="legacy-psb",
                traceparent=f"00-{self.trace_id}-{secrets.token_hex(8)}-01",
            ).model_copy(update={"occurred_at": self.submitted_at + at})
        else:
            envelope = self.add("dept_adapter", self.filing_stream(subtask), result, at)
        self.add(
            "router",
            self.router_stream,
            ResultRecorded(result=envelope),
            at + S,
        )

    @property
    def router_stream(self) -> str:
        return f"application-{self.application_id}"

    def filing_stream(self, subtask: str) -> str:
        return f"filing-{self.filing(subtask)}"

    def clock(
        self,
        event: type[TimeLimitWarned | TimeLimitExceeded],
        at: timedelta,
        clock: str,
        clock_id: str,
        department: str | None,
        started: timedelta,
        due: timedelta,
    ) -> None:
        limit = "promised" if clock == "application" else "own"
        self.add(
            "router",
            self.router_stream,
            event(
                clock=clock,
                clock_id=clock_id,
                limit=limit,
                department=department,
                limit_days=1,
                started_at=self.submitted_at + started,
                due_at=self.submitted_at + due,
            ),
            at,
        )


def half_way(application_id: UUID, submitted_at: datetime) -> Story:
    story = Story(application_id, submitted_at)
    amr = story.filing("amr-licence")
    story.dispatch("amr-licence", 5 * S, due=24 * H)
    story.answer(
        SubtaskAccepted(
            subtask="amr-licence", department="amr", filing_key=amr, legacy_receipt=AMR_RECEIPT
        ),
        30 * S,
    )
    story.answer(
        SubtaskCompleted(
            subtask="amr-licence",
            department="amr",
            filing_key=amr,
            legacy_receipt=AMR_RECEIPT,
            outputs={"credit_code": "91330106MA2K0001X0", "licence_number": "330106000123456"},
        ),
        2 * H,
    )
    for subtask, due in (
        ("psb-seal", 26),
        ("tax-invoice", 34),
        ("hrss-social-insurance", 26),
        ("hpf-provident-fund", 26),
    ):
        story.dispatch(subtask, 2 * H + 10 * S, due=due * H)
    psb, tax, hrss = (story.filing(s) for s in ("psb-seal", "tax-invoice", "hrss-social-insurance"))
    story.answer(
        SubtaskAccepted(
            subtask="psb-seal", department="psb", filing_key=psb, legacy_receipt="PSB-77"
        ),
        2 * H + 50 * S,
    )
    story.answer(
        SubtaskCompleted(
            subtask="psb-seal",
            department="psb",
            filing_key=psb,
            outputs={"seal_filing_number": "Z-1"},
        ),
        3 * H,
    )
    story.answer(
        SubtaskAccepted(
            subtask="tax-invoice", department="tax", filing_key=tax, legacy_receipt="TAX-2024-88"
        ),
        2 * H + 40 * S,
    )
    story.answer(
        SubtaskCompleted(
            subtask="hrss-social-insurance",
            department="hrss",
            filing_key=hrss,
            outputs={"social_insurance_number": "S-9"},
        ),
        4 * H,
    )
    hpf_started = 2 * H + 10 * S
    story.clock(
        TimeLimitWarned, 21 * H, "subtask", "hpf-provident-fund", "hpf", hpf_started, 26 * H
    )
    story.clock(
        TimeLimitExceeded, 26 * H, "subtask", "hpf-provident-fund", "hpf", hpf_started, 26 * H
    )
    story.clock(TimeLimitWarned, 26 * H + 5 * S, "application", "application", None, 0 * H, 32 * H)
    story.clock(TimeLimitWarned, 27 * H, "subtask", "tax-invoice", "tax", 2 * H + 10 * S, 34 * H)
    story.add(
        "notifier",
        f"notice-{application_id}-hpf",
        NoticeDelivered(
            notice="supervision",
            notice_key=f"{application_id}:hpf-provident-fund:own:exceeded",
            channel="email",
            recipient="su***@hpf.example.cn",
            attempts=1,
            receipt="<m-1@onewindow>",
            delivered_at=submitted_at + 26 * H + 9 * S,
        ),
        26 * H + 9 * S,
    )
    return story

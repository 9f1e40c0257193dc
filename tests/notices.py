"""What the notifier's tests are about: an application's outcome and supplement notice, its
time limits' alerts and the people watching them, a held result, and senders that answer as
scripted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from contracts.events import (
    OutcomeDecided,
    ResultHeld,
    SupplementNoticeIssued,
    TimeLimitExceeded,
    TimeLimitWarned,
)
from services.notifier.domain.clocks import ClockEvent
from services.notifier.domain.contacts import Recipient, Watchers
from services.notifier.domain.delivery import DeliveryFailure
from services.notifier.domain.events import NoticePrepared

APPLICATION = UUID("0193a1c2-7c1e-7d2a-9f1e-3b2a1c0d9e8f")
DECIDED = datetime(2025, 3, 4, 2, 15, tzinfo=UTC)
CERTIFICATES = (
    {
        "subtask": "amr-licence",
        "department": "amr",
        "title": "营业执照",
        "number": "330100984437842",
        "issued_at": "2025-03-04T09:30:00+08:00",
    },
    {
        "subtask": "psb-seal",
        "department": "psb",
        "title": "印章备案回执",
        "number": "YZ-2025-0001",
        "issued_at": "2025-03-04T02:00:00Z",
    },
)


def _to_applicant(channel: str, address: str) -> dict[str, Any]:
    """The fields of an outcome or a notice that say whom it is for and how it reaches them."""
    return {
        "matter": "business-startup",
        "matter_name": "企业开办",
        "receipt_number": "YW20250304000123",
        "applicant_name": "陈明",
        "delivery": {"channel": channel, "address": address},
    }


def outcome(
    decision: str = "approved",
    *,
    channel: str = "webhook",
    address: str = "https://hooks.example.cn/onewindow?token=t0p",
    **fields: Any,
) -> OutcomeDecided:
    return OutcomeDecided.model_validate(
        {
            **_to_applicant(channel, address),
            "decision": decision,
            "certificates": CERTIFICATES if decision == "approved" else (),
            **fields,
        }
    )


def supplement(channel: str = "email", address: str = "chen@example.cn") -> SupplementNoticeIssued:
    return SupplementNoticeIssued.model_validate(
        {
            **_to_applicant(channel, address),
            "notice_id": "S1",
            "requests": [
                {
                    "subtask": "amr-licence",
                    "department": "amr",
                    "materials": [
                        {"code": "articles", "name": "公司章程", "reason": "未上传"},
                        {"code": "lease", "name": "住所使用证明", "reason": "复印件不清晰"},
                    ],
                },
                {
                    "subtask": "hpf-account",
                    "department": "hpf",
                    "materials": [
                        {"code": "id-card", "name": "法定代表人身份证", "reason": "已过期"}
                    ],
                },
            ],
        }
    )


STARTED = datetime(2025, 3, 4, 1, 30, tzinfo=UTC)  # 09:30 in Beijing
DUE = datetime(2025, 3, 5, 9, 0, tzinfo=UTC)  # 17:00 in Beijing
SUPERVISION_MAIL = Recipient("supervision-email", "email", "dzjc@supervision.example.cn")
SUPERVISION_HOOK = Recipient("supervision-webhook", "webhook", "https://dzjc.example.cn/in")
AMR = Recipient("department", "webhook", "https://amr.example.cn/dzjc")
WATCHERS = Watchers((SUPERVISION_MAIL, SUPERVISION_HOOK), {"amr": AMR})


def clock_event(stage: str = "exceeded", **fields: Any) -> ClockEvent:
    model = TimeLimitWarned if stage == "warned" else TimeLimitExceeded
    values = {
        "clock": "subtask",
        "clock_id": "amr-licence",
        "limit": "promised",
        "department": "amr",
        "limit_days": 1,
        "started_at": STARTED,
        "due_at": DUE,
        **fields,
    }
    return model.model_validate(values)


def held(**fields: object) -> ResultHeld:
    return ResultHeld.model_validate(
        {
            "matter": "business-startup",
            "matter_name": "企业开办",
            "receipt_number": "YW20250304000123",
            "applicant_name": "陈明",
            "delivery": {"channel": "email", "address": "chen@example.cn"},
            "missing": ["premises-proof"],
            "promised_by": "2025-03-10",
            **fields,
        }
    )


class ScriptedSender:
    """Answers each send with the next failure of its script, then succeeds."""

    def __init__(self, *failures: DeliveryFailure) -> None:
        self.failures, self.sent = list(failures), 0

    async def send(self, prepared: NoticePrepared, delivery_id: str) -> str | None:
        self.sent += 1
        if self.failures:
            raise self.failures.pop(0)
        return f"receipt-{delivery_id}"


class Pauses:
    def __init__(self, stop_after: int | None = None) -> None:
        self.waited: list[float] = []
        self.stop_after = stop_after

    async def __call__(self, delay: float) -> bool:
        self.waited.append(delay)
        return self.stop_after is not None and len(self.waited) >= self.stop_after

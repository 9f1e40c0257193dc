"""The Chinese wording of an electronic-supervision notice (电子监察): a warning (预警) at
80 % or an overdue (超期) at 100 % of a sub-task's, an application's or a follow-up's
(差评整改) time limit, for the supervision channel or the department concerned.

It names no applicant: supervision needs the case, not the person."""

from __future__ import annotations

from uuid import UUID

from contracts.departments import department_name
from services.notifier.domain.applications import KnownApplication
from services.notifier.domain.clocks import ClockEvent, stage
from services.notifier.domain.contacts import Role
from services.notifier.domain.templates import Rendered, beijing_time, sms_text

SIGNATURE = "【电子监察】"
STAGE_NAME = {"warned": "预警", "exceeded": "超期"}
LIMIT_NAME = {"promised": "承诺时限", "statutory": "法定时限", "own": "办理时限"}
_INTRO = {
    ("supervision", "warned"): "以下办理环节已用去时限的 80%，即将到期，请关注并督促按时办结。",
    ("supervision", "exceeded"): "以下办理环节已超过时限仍未办结，请予督办。",
    ("department", "warned"): "贵单位承办的以下办理环节已用去时限的 80%，请在到期前办结。",
    ("department", "exceeded"): (
        "贵单位承办的以下办理环节已超过时限仍未办结，请尽快办结，并向电子监察说明超期原因。"
    ),
}
_FOOTER = "\n\n本通知由一网通办电子监察系统自动发送，请勿直接回复。"


def watched_step(event: ClockEvent, title: str | None) -> str:
    """What the clock measures: 部门子任务“…”, 办件整体办理 or 差评整改."""
    if event.clock == "subtask":
        return f"部门子任务“{title or event.clock_id}”（{event.clock_id}）"
    if event.clock == "follow-up":
        return f"差评整改（整改单 {event.clock_id}）"
    if event.clock == "application":
        return "办件整体办理"
    return f"{event.clock}（{event.clock_id}）"


def limit_text(event: ClockEvent) -> str:
    name = "整改时限" if event.clock == "follow-up" else LIMIT_NAME[event.limit]
    return f"{name} {event.limit_days} 个工作日"


def render_supervision(
    application_id: UUID,
    event: ClockEvent,
    role: Role,
    known: KnownApplication | None,
    title: str | None,
) -> Rendered:
    """`known` is None when the submission is not seen yet: the case is named by its id."""
    what, step = STAGE_NAME[stage(event)], watched_step(event, title)
    receipt = known.receipt_number if known else f"暂未获取（办件标识 {application_id}）"
    matter = f"{known.matter_name}（{known.matter}）" if known else "暂未获取"
    lines = [
        f"受理编号：{receipt}",
        f"事项：{matter}",
        f"办理环节：{step}",
        *([f"责任部门：{department_name(event.department)}"] if event.department else []),
        f"时限：{limit_text(event)}",
        f"起算时间：{beijing_time(event.started_at)}",
        f"到期时间：{beijing_time(event.due_at)}",
    ]
    intro = _INTRO["department" if role == "department" else "supervision", stage(event)]
    body = f"{SIGNATURE}{what}通知\n\n{intro}\n\n" + "\n".join(lines) + _FOOTER
    case = f"{known.matter_name}（受理编号：{known.receipt_number}）" if known else receipt
    subject = f"{SIGNATURE}{what}：{case}{step}"
    sms = f"{SIGNATURE}{what}：{case}{step}，到期时间{beijing_time(event.due_at)}。"
    return Rendered(subject, body, sms_text(sms))

"""The Chinese wording of what the applicant is reminded of: deficient materials owed
(容缺 reminder, and the held result), and an unanswered supplement notice."""

from __future__ import annotations

from datetime import date

from services.notifier.domain.clocks import ClockEvent
from services.notifier.domain.templates import (
    ABOUT,
    FOOTER,
    GREETING,
    SMS_ABOUT,
    About,
    Rendered,
    beijing_time,
    fill,
    sms_text,
    subject_for,
)

_HAND_IN = "可到办事大厅窗口递交，或登录“一网通办”上传。"


def _listed(names: list[str]) -> str:
    return "\n".join(f"{i}. {name}" for i, name in enumerate(names, start=1))


def render_deficiency_reminder(o: About, event: ClockEvent, owed: list[str]) -> Rendered:
    due = beijing_time(event.due_at)
    what = "以下材料" if owed else "容缺受理时承诺补交的材料"
    body = (
        fill(GREETING + ABOUT, o)
        + f"已容缺受理。请于{due}前补交{what}"
        + (f"：\n\n{_listed(owed)}\n\n" if owed else "。")
        + _HAND_IN + "材料补齐后方可统一出件。" + FOOTER
    )  # fmt: skip
    names = f"：{'、'.join(owed)}" if owed else "容缺受理时承诺补交的材料"
    sms = fill(SMS_ABOUT, o) + f"已容缺受理，请于{due}前补交{names}。补齐后方可统一出件。"
    return Rendered(subject_for(o, "容缺材料补交提醒"), body, sms_text(sms))


def render_supplement_reminder(o: About, event: ClockEvent) -> Rendered:
    due = beijing_time(event.due_at)
    said = (
        f"的补正通知（补正通知编号：{event.clock_id}）尚未答复。请于{due}前提交补正材料；"
        "逾期未补正的，本申请将终止办理。"
    )
    body = fill(GREETING + ABOUT, o) + said + FOOTER
    sms = fill(SMS_ABOUT, o) + f"尚待补正，请于{due}前提交补正材料，逾期将终止办理。"
    return Rendered(subject_for(o, "补正提醒"), body, sms_text(sms))


def render_held(o: About, owed: list[str], promised_by: date) -> Rendered:
    by = f"{promised_by.year}年{promised_by.month}月{promised_by.day}日"
    body = (
        fill(GREETING + ABOUT, o)
        + "各部门均已办结。因容缺受理时承诺补交的以下材料尚未收到，办理结果暂缓统一出件：\n\n"
        + _listed(owed)
        + f"\n\n请于{by}前补交。{_HAND_IN}材料补齐后即统一出件。"
        + FOOTER
    )
    sms = (
        fill(SMS_ABOUT, o) + f"各部门均已办结，待补交{'、'.join(owed)}后统一出件，请于{by}前补交。"
    )
    return Rendered(subject_for(o, "各部门已办结，待补交材料后出件"), body, sms_text(sms))

"""The Chinese wording of every notice: an e-mail subject and plain-text body, and a short SMS.

Times are shown in Beijing time; the structured document carries them in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from contracts.departments import department_name
from contracts.events import MissingMaterial, OutcomeDecided, SupplementNoticeIssued
from services.notifier.domain.result import IssuedCertificate, OneResult

SIGNATURE = "【一网通办】"
SMS_MAX_CHARS = 300
BEIJING = timezone(timedelta(hours=8), "CST")
_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")
GREETING = "{name}，您好：\n\n"
FOOTER = (
    "\n\n本通知由系统自动发送，请勿直接回复。"
    "如有疑问，请凭受理编号咨询办事大厅或拨打 12345。\n一网通办"
)
ABOUT = "您申请的“{matter}”（受理编号：{receipt}）"
SMS_ABOUT = SIGNATURE + "{name}您好，您申请的{matter}（受理编号{receipt}）"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    sms: str


class About(Protocol):
    """What every notice to the applicant names: them, the matter and the receipt."""

    @property
    def applicant_name(self) -> str: ...
    @property
    def matter_name(self) -> str: ...
    @property
    def receipt_number(self) -> str: ...


def fill(template: str, o: About) -> str:
    return template.format(name=o.applicant_name, matter=o.matter_name, receipt=o.receipt_number)


def subject_for(o: About, what: str) -> str:
    return f"{SIGNATURE}{o.matter_name}{what}（受理编号：{o.receipt_number}）"


def sms_text(text: str) -> str:
    return text if len(text) <= SMS_MAX_CHARS else text[: SMS_MAX_CHARS - 1] + "…"


def beijing_time(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") + "（北京时间）"


def _numeral(index: int) -> str:
    return _NUMERALS[index] if index < len(_NUMERALS) else str(index + 1)


def _certificate_lines(index: int, issued: IssuedCertificate) -> str:
    c = issued.certificate
    return (
        f"{index}. 《{c.title}》\n   发证部门：{issued.department_name}\n"
        f"   证照编号：{c.number}\n   核发时间：{beijing_time(c.issued_at)}\n"
        f"   验证码：{issued.verification_hash}"
    )


def render_result(result: OneResult) -> Rendered:
    o = result.outcome
    lines = [_certificate_lines(i, c) for i, c in enumerate(result.certificates, start=1)]
    issued = (
        f"本次共核发证照 {len(lines)} 份：\n\n" + "\n\n".join(lines)
        if lines
        else "本次办理无需核发证照。"
    )
    body = (
        fill(GREETING + ABOUT + "已全部办结，办理结果统一送达如下。\n\n", o)
        + issued
        + f"\n\n办件结果摘要（SHA-256）：{result.result_hash}\n"
        + "每份证照的验证码是其登记信息的 SHA-256 摘要，可在“一网通办”平台核验真伪。"
        + FOOTER
    )
    titles = "、".join(f"《{c.certificate.title}》" for c in result.certificates)
    got = f"，共核发证照{len(lines)}份：{titles}" if lines else ""
    sms = fill(SMS_ABOUT + "已办结" + got + "。详情请登录一网通办查询。", o)
    return Rendered(subject_for(o, "已办结"), body, sms_text(sms))


def render_rejection(o: OutcomeDecided) -> Rendered:
    reasons = [f"{department_name(r.department)}：{r.reason}" for r in o.reasons]
    listed = "\n".join(f"{i}. {r}" for i, r in enumerate(reasons, start=1))
    body = fill(GREETING + "很遗憾，" + ABOUT + "未予通过。各部门的意见如下：\n\n", o)
    body += (listed or "（部门未说明理由）") + FOOTER
    sms = fill(SMS_ABOUT + "未予通过。", o) + "；".join(reasons) + "。详情请登录一网通办查询。"
    return Rendered(subject_for(o, "未予通过"), body, sms_text(sms))


def render_withdrawal(o: OutcomeDecided) -> Rendered:
    said = "已按您的要求撤回，各部门的办理均已终止。如需再次办理，可随时重新申请。"
    body = fill(GREETING + ABOUT + said, o) + FOOTER
    sms = fill(SMS_ABOUT + "已撤回，各部门的办理均已终止。", o)
    return Rendered(subject_for(o, "已撤回"), body, sms_text(sms))


def render_lapse(o: OutcomeDecided) -> Rendered:
    said = "因未在补正期限内提交补正材料，已终止办理。如仍需办理，请重新提交申请。"
    body = fill(GREETING + "很遗憾，" + ABOUT + said, o) + FOOTER
    sms = fill(SMS_ABOUT + "因逾期未补正已终止办理。如仍需办理，请重新申请。", o)
    return Rendered(subject_for(o, "已终止办理（逾期未补正）"), body, sms_text(sms))


def materials_by_department(
    issued: SupplementNoticeIssued,
) -> dict[str, list[MissingMaterial]]:
    """Every missing material, grouped by the department asking; a code asked twice by one
    department (for two of its sub-tasks) is listed once."""
    grouped: dict[str, list[MissingMaterial]] = {}
    for request in issued.requests:
        listed = grouped.setdefault(request.department, [])
        known = {m.code for m in listed}
        listed.extend(m for m in request.materials if m.code not in known)
    return grouped


def render_supplement(issued: SupplementNoticeIssued) -> Rendered:
    grouped = materials_by_department(issued)
    sections = [
        f"{_numeral(i)}、{department_name(dept)}\n"
        + "\n".join(f"  {n}. {m.name}：{m.reason}" for n, m in enumerate(materials, start=1))
        for i, (dept, materials) in enumerate(grouped.items())
    ]
    intro = (
        "需补正以下材料。本通知一次性告知全部需补正的内容"
        f"（补正通知编号：{issued.notice_id}），请一并补齐后在“一网通办”提交：\n\n"
    )
    body = fill(GREETING + ABOUT, issued) + intro + "\n\n".join(sections) + FOOTER
    count = sum(len(m) for m in grouped.values())
    needs = "；".join(
        f"{department_name(d)}：{'、'.join(m.name for m in ms)}" for d, ms in grouped.items()
    )
    sms = fill(SMS_ABOUT, issued) + f"需一次性补正{count}项材料：{needs}。请登录一网通办提交补正。"
    return Rendered(subject_for(issued, "需一次性补正材料"), body, sms_text(sms))

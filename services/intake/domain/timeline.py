"""One short line, Chinese then English, for each event in an application's timeline."""

from __future__ import annotations

from contracts.envelope import Event
from contracts.events import (
    ApplicationEvaluated,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    EvidenceChecked,
    FilingCancelled,
    FollowUpClosed,
    FollowUpOpened,
    MaterialsHandedIn,
    NoticeDelivered,
    NoticeDeliveryFailed,
    OutcomeDecided,
    RegisterLookupAnswered,
    ResultCollected,
    ResultHeld,
    ResultIgnored,
    SubtaskAccepted,
    SubtaskCancelled,
    SubtaskCompleted,
    SubtaskDispatched,
    SubtaskFailed,
    SubtaskRejected,
    SupplementNoticeIssued,
    SupplementRequested,
    SupplementSubmitted,
    TimeLimitExceeded,
    TimeLimitWarned,
)
from contracts.registry import decode

_DECISIONS = {
    "approved": "准予办理",
    "rejected": "不予办理",
    "withdrawn": "已撤回",
    "lapsed": "逾期未补正，终止办理",
}
_NOTICES = {
    "result": "办理结果",
    "rejection": "不予办理",
    "supplement": "补正",
    "withdrawal": "撤回",
    "lapse": "终止办理",
    "held": "暂缓出件",
    "reminder": "容缺补交提醒",
    "supervision": "电子监察",
}
_VISIT = {True: "（现场）", False: ""}


def summary(event: Event) -> str:
    """The line for `event`; aftercare events have theirs in `_later`, data sharing's in
    `_evidence`."""
    return _first(event) or _later(event) or _evidence(event) or event.event_type


def _evidence(event: Event) -> str | None:
    match event:
        case RegisterLookupAnswered():
            parts = [
                f"{a.dataset} {sum(r.found for r in a.records)}/{len(a.records)}"
                if a.available
                else f"{a.dataset} unavailable"
                for a in event.answers
            ]
            return f"数据共享已查询 / register records fetched: {', '.join(parts)}"
        case EvidenceChecked():
            via = [m.via for m in event.materials]
            line = (
                f"材料核验：共享获取{via.count('register')}项，电子证照{via.count('e-certificate')}"
                f"项，申请人提供{via.count('applicant')}项 / evidence checked"
            )
            if event.refusals:
                return line + ", refused"
            return line + (", corrections asked" if event.supplements else "")
    return None


def _first(event: Event) -> str | None:
    match event:
        case ApplicationSubmitted():
            return (
                f"申请已提交，受理号 {event.receipt_number} / application submitted"
                f" ({event.matter}, via {event.channel})"
            )
        case SupplementSubmitted():
            return (
                f"已提交补正材料（{event.notice_id}） / supplement for {event.notice_id} handed in"
            )
        case ApplicationWithdrawn():
            return f"申请人撤回申请：{event.reason} / withdrawn by the applicant: {event.reason}"
        case SubtaskDispatched():
            return (
                f"已推送{event.department}：{event.title} /"
                f" {event.subtask} sent to {event.department}"
            )
        case SubtaskCancelled():
            return f"已撤销{event.department}的办理：{event.reason} / {event.subtask} cancelled"
        case SubtaskAccepted():
            return (
                f"{event.department}已受理，回执 {event.legacy_receipt} /"
                f" {event.subtask} accepted by {event.department}"
            )
        case SubtaskCompleted():
            return f"{event.department}已办结 / {event.subtask} completed by {event.department}"
        case SubtaskRejected():
            return f"{event.department}不予办理：{event.reason} / {event.subtask} rejected"
        case SupplementRequested():
            names = "、".join(m.name for m in event.materials)
            return f"{event.department}要求补正：{names} / {event.department} asks for a supplement"
        case SubtaskFailed():
            return f"{event.department}办理失败：{event.error} / {event.subtask} failed"
        case FilingCancelled():
            state = (
                "已确认撤销 / cancellation confirmed"
                if event.confirmed
                else "未能确认撤销 / cancellation not confirmed"
            )
            return f"{event.department}{state} for {event.subtask}"
        case SupplementNoticeIssued():
            return (
                f"一次性告知补正（{event.notice_id}，{len(event.requests)}个部门） /"
                f" one supplement notice {event.notice_id} issued"
            )
        case OutcomeDecided():
            return f"办结：{_DECISIONS[event.decision]} / decided: {event.decision}"
        case NoticeDelivered():
            return (
                f"{_NOTICES.get(event.notice, event.notice)}通知已送达（{event.channel}） /"
                f" {event.notice} notice delivered by {event.channel}"
            )
        case NoticeDeliveryFailed():
            return (
                f"{_NOTICES.get(event.notice, event.notice)}通知发送失败（{event.channel}） /"
                f" {event.notice} notice failed by {event.channel}"
            )
    return None


NOTICE_FAILED = "未能送达 / the notice could not be delivered"


def notice_detail(event: NoticeDelivered | NoticeDeliveryFailed) -> str | None:
    """What the applicant reads of a delivery: the receipt, or for every failure the same
    words. Why it failed (a refused connection, an HTTP status, a refused address) would
    tell the applicant about the network behind their URL; it stays in the notifier's log
    and its NoticeDeliveryFailed event, for operators."""
    return event.receipt if isinstance(event, NoticeDelivered) else NOTICE_FAILED


def _later(event: Event) -> str | None:
    match event:
        case MaterialsHandedIn():
            codes = ", ".join(event.materials)
            return f"补交容缺材料{_VISIT[event.in_person]}：{codes} / deferred materials handed in"
        case ResultHeld():
            codes = ", ".join(event.missing)
            return f"各部门已办结，待补交 {codes} 后出件 / result held until {codes} arrive"
        case ResultCollected():
            how = "现场领取 / picked up" if event.method == "pickup" else "已寄递 / sent by express"
            return f"办理结果{how}"
        case ApplicationEvaluated() if event.recorded_by == "clerk":
            return (
                f"窗口代录评价：{event.rating} 星 / rated {event.rating} of 5,"
                " recorded by a clerk at the counter"
            )
        case ApplicationEvaluated():
            return f"申请人评价：{event.rating} 星 / rated {event.rating} of 5"
        case FollowUpOpened():
            return f"差评回访工单 {event.case_id} 已立案 / follow-up {event.case_id} opened"
        case FollowUpClosed():
            return f"差评整改已答复（{event.clerk}） / follow-up {event.case_id} closed"
        case TimeLimitWarned():
            return (
                f"时限预警：{event.clock} {event.clock_id}（{event.limit}） /"
                f" 80 % of the {event.limit} limit used, due {event.due_at:%Y-%m-%d %H:%M}"
            )
        case TimeLimitExceeded():
            return (
                f"已超期：{event.clock} {event.clock_id}（{event.limit}） /"
                f" {event.limit} limit exceeded, was due {event.due_at:%Y-%m-%d %H:%M}"
            )
    return None


_IGNORED = {
    "decided": ("申请已办结", "the application is decided"),
    "stale": ("非当前报送", "an earlier filing"),
    "answered": ("该报送已有答复", "the filing was answered already"),
    "cancelling": ("该报送正在撤销", "the filing is being cancelled"),
    "not-cancelling": ("未要求撤销", "no cancellation was asked for"),
}


def ignored_summary(ignored: ResultIgnored) -> str:
    """An answer the router kept but did not apply: what it said, and why it changed nothing."""
    chinese, english = _IGNORED[ignored.reason]
    said = summary(decode(ignored.result))
    return f"未采用（{chinese}） / not applied ({english}): {said}"

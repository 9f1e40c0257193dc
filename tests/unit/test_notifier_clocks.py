"""Electronic supervision (电子监察) and reminders: who gets what for each clock event, once,
and the Chinese wording of the supervision, department and reminder notices."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.catalog import load_catalog
from contracts.events import Delivery
from services.notifier.domain.applications import KnownApplication
from services.notifier.domain.clock_notices import reminder_notice, supervision_notice
from services.notifier.domain.clocks import (
    clock_key,
    reminds_applicant,
    watchers_of,
    without_contact,
)
from services.notifier.domain.templates import SIGNATURE, SMS_MAX_CHARS
from tests.notices import (
    AMR,
    APPLICATION,
    SUPERVISION_HOOK,
    SUPERVISION_MAIL,
    WATCHERS,
    clock_event,
)

CATALOG = load_catalog()


def known(channel: str = "email", address: str = "chen@example.cn", **fields: Any) -> Any:
    values = {
        "receipt_number": "YW20250304000123",
        "matter": "business-startup",
        "matter_name": "企业开办",
        "applicant_name": "陈明",
        "delivery": Delivery(channel=channel, address=address),  # type: ignore[arg-type]
        "materials_owed": ("premises-proof", "employee-list"),
        **fields,
    }
    return KnownApplication(**values)


@pytest.mark.parametrize("stage", ["warned", "exceeded"])
def test_a_subtask_clock_goes_to_both_supervision_channels_and_its_department(stage: str) -> None:
    event = clock_event(stage)
    assert watchers_of(event, WATCHERS) == [SUPERVISION_MAIL, SUPERVISION_HOOK, AMR]
    assert not reminds_applicant(event) and not without_contact(event, WATCHERS)


def test_an_application_clock_without_a_department_goes_to_supervision_only() -> None:
    event = clock_event(clock="application", clock_id="application", department=None)
    assert watchers_of(event, WATCHERS) == [SUPERVISION_MAIL, SUPERVISION_HOOK]


def test_a_follow_up_clock_is_supervised_and_its_department_told() -> None:
    event = clock_event(clock="follow-up", clock_id="F-1", limit="own", limit_days=5)
    assert watchers_of(event, WATCHERS) == [SUPERVISION_MAIL, SUPERVISION_HOOK, AMR]


def test_a_department_without_a_contact_leaves_supervision_told_and_is_flagged() -> None:
    event = clock_event(department="tax", clock_id="tax-invoice")
    assert watchers_of(event, WATCHERS) == [SUPERVISION_MAIL, SUPERVISION_HOOK]
    assert without_contact(event, WATCHERS)


@pytest.mark.parametrize("clock", ["deficiency", "supplement"])
def test_the_applicants_own_clocks_remind_the_applicant_when_warned_and_nobody_else(
    clock: str,
) -> None:
    fields = {"clock": clock, "clock_id": clock if clock == "deficiency" else "S1"}
    warned = clock_event("warned", limit="own", department=None, **fields)
    exceeded = clock_event("exceeded", limit="own", department=None, **fields)
    assert watchers_of(warned, WATCHERS) == [] and watchers_of(exceeded, WATCHERS) == []
    assert reminds_applicant(warned) and not reminds_applicant(exceeded)


def test_the_notice_key_names_clock_limit_stage_and_recipient() -> None:
    assert clock_key(clock_event("warned"), "department") == (
        "clock:subtask:amr-licence:promised:warned:department"
    )
    assert clock_key(clock_event("exceeded", limit="statutory"), "supervision-email") == (
        "clock:subtask:amr-licence:statutory:exceeded:supervision-email"
    )


def test_an_overdue_subtask_names_receipt_matter_department_limit_and_due_time() -> None:
    prepared = supervision_notice(APPLICATION, clock_event(), SUPERVISION_MAIL, known(), CATALOG)
    assert prepared.kind == "supervision" and prepared.channel == "email"
    assert prepared.address == "dzjc@supervision.example.cn"
    assert prepared.notice_key == "clock:subtask:amr-licence:promised:exceeded:supervision-email"
    assert prepared.subject == (
        "【电子监察】超期：企业开办（受理编号：YW20250304000123）"
        "部门子任务“企业设立登记并核发营业执照”（amr-licence）"
    )
    text = prepared.text
    assert text.startswith("【电子监察】超期通知\n\n以下办理环节已超过时限仍未办结，请予督办。")
    for line in (
        "受理编号：YW20250304000123",
        "事项：企业开办（business-startup）",
        "责任部门：市场监督管理局",
        "时限：承诺时限 1 个工作日",
        "起算时间：2025-03-04 09:30（北京时间）",
        "到期时间：2025-03-05 17:00（北京时间）",
    ):
        assert line in text
    assert "陈明" not in text and "chen@example.cn" not in text  # no applicant data
    document = prepared.document
    assert document["receipt_number"] == "YW20250304000123" and document["stage"] == "exceeded"
    assert document["due_at"] == "2025-03-05T09:00:00Z" and document["department"] == "amr"


def test_the_department_is_asked_to_act_and_a_warning_says_80_percent() -> None:
    prepared = supervision_notice(APPLICATION, clock_event("warned"), AMR, known(), CATALOG)
    assert prepared.channel == "webhook" and prepared.subject.startswith("【电子监察】预警：")
    assert "贵单位承办的以下办理环节已用去时限的 80%，请在到期前办结。" in prepared.text
    assert prepared.document["recipient_role"] == "department"


def test_application_and_follow_up_clocks_say_what_they_measure() -> None:
    application = clock_event(clock="application", clock_id="application", limit="statutory")
    text = supervision_notice(APPLICATION, application, SUPERVISION_MAIL, known(), CATALOG).text
    assert "办理环节：办件整体办理" in text and "时限：法定时限 1 个工作日" in text
    follow_up = clock_event(clock="follow-up", clock_id="F-7", limit="own", limit_days=5)
    text = supervision_notice(APPLICATION, follow_up, SUPERVISION_MAIL, known(), CATALOG).text
    assert "办理环节：差评整改（整改单 F-7）" in text and "时限：整改时限 5 个工作日" in text


def test_an_application_not_seen_yet_is_named_by_its_id() -> None:
    prepared = supervision_notice(APPLICATION, clock_event(), SUPERVISION_HOOK, None, CATALOG)
    assert f"受理编号：暂未获取（办件标识 {APPLICATION}）" in prepared.text
    assert "部门子任务“amr-licence”（amr-licence）" in prepared.text  # no catalog title
    assert prepared.document["receipt_number"] is None


def test_a_deficiency_reminder_asks_for_the_owed_materials_by_the_due_time() -> None:
    event = clock_event("warned", clock="deficiency", clock_id="deficiency", limit="own")
    prepared = reminder_notice(APPLICATION, event, known(), CATALOG)
    assert (prepared.kind, prepared.channel, prepared.address) == (
        "reminder",
        "email",
        "chen@example.cn",
    )
    assert prepared.notice_key == "clock:deficiency:deficiency:own:warned:applicant"
    assert prepared.subject == "【一网通办】企业开办容缺材料补交提醒（受理编号：YW20250304000123）"
    assert prepared.text.startswith("陈明，您好：")
    assert "请于2025-03-05 17:00（北京时间）前补交以下材料" in prepared.text
    assert "1. 住所（经营场所）使用证明\n2. 参保职工花名册" in prepared.text
    assert [m["name"] for m in prepared.document["materials_owed"]] == [
        "住所（经营场所）使用证明",
        "参保职工花名册",
    ]


def test_a_deficiency_reminder_by_sms_is_short_and_signed() -> None:
    event = clock_event("warned", clock="deficiency", clock_id="deficiency", limit="own")
    prepared = reminder_notice(APPLICATION, event, known("sms", "13812341234"), CATALOG)
    assert prepared.text.startswith(SIGNATURE + "陈明您好")
    assert "请于2025-03-05 17:00（北京时间）前补交：住所（经营场所）使用证明、参保职工花名册" in (
        prepared.text
    )
    assert len(prepared.text) <= SMS_MAX_CHARS


def test_a_supplement_reminder_warns_of_the_lapse() -> None:
    event = clock_event("warned", clock="supplement", clock_id="S1", limit="own", department=None)
    prepared = reminder_notice(APPLICATION, event, known(), CATALOG)
    assert prepared.notice_key == "clock:supplement:S1:own:warned:applicant"
    assert "补正通知编号：S1" in prepared.text
    assert "请于2025-03-05 17:00（北京时间）前提交补正材料；逾期未补正的，本申请将终止办理。" in (
        prepared.text
    )

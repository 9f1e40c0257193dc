"""The Chinese wording of each kind of notice, by channel."""

from __future__ import annotations

from contracts.events import SupplementNoticeIssued
from services.notifier.domain.notices import held_notice, outcome_notice, supplement_notice
from services.notifier.domain.templates import SIGNATURE, SMS_MAX_CHARS, materials_by_department
from tests.notices import APPLICATION, DECIDED, held, outcome, supplement

MOBILE = {"channel": "sms", "address": "13812341234"}


def test_the_result_mail_lists_every_certificate_with_its_verification_code() -> None:
    prepared = outcome_notice(
        APPLICATION, outcome(channel="email", address="c@example.cn"), DECIDED
    )
    assert prepared.subject == "【一网通办】企业开办已办结（受理编号：YW20250304000123）"
    text = prepared.text
    assert text.startswith("陈明，您好：")
    for certificate in prepared.document["certificates"]:
        assert f"《{certificate['title']}》" in text
        assert certificate["number"] in text
        assert certificate["verification_hash"] in text
    assert "2025-03-04 09:30（北京时间）" in text
    assert f"办件结果摘要（SHA-256）：{prepared.result_hash}" in text


def test_the_result_sms_is_short_and_signed() -> None:
    prepared = outcome_notice(APPLICATION, outcome(channel="sms", address="13812341234"), DECIDED)
    assert prepared.text.startswith(SIGNATURE + "陈明您好")
    assert "共核发证照2份：《营业执照》、《印章备案回执》" in prepared.text
    assert len(prepared.text) <= SMS_MAX_CHARS


def test_a_rejection_gives_every_department_reason() -> None:
    reasons = [
        {"subtask": "amr-licence", "department": "amr", "reason": "名称与已登记企业重名"},
        {"subtask": "tax-invoicing", "department": "tax", "reason": "存在未结清的欠税"},
    ]
    mail = outcome_notice(APPLICATION, outcome("rejected", reasons=reasons), DECIDED)
    assert mail.subject == "【一网通办】企业开办未予通过（受理编号：YW20250304000123）"
    assert "1. 市场监督管理局：名称与已登记企业重名\n2. 税务局：存在未结清的欠税" in mail.text
    sms = outcome("rejected", reasons=reasons, delivery=MOBILE)
    text = outcome_notice(APPLICATION, sms, DECIDED).text
    assert "市场监督管理局：名称与已登记企业重名；税务局：存在未结清的欠税" in text


def test_a_withdrawal_confirms_the_processing_stopped() -> None:
    prepared = outcome_notice(APPLICATION, outcome("withdrawn"), DECIDED)
    assert prepared.subject == "【一网通办】企业开办已撤回（受理编号：YW20250304000123）"
    assert "已按您的要求撤回" in prepared.text


def test_one_supplement_notice_names_every_department_and_material() -> None:
    prepared = supplement_notice(APPLICATION, supplement())
    assert prepared.subject == "【一网通办】企业开办需一次性补正材料（受理编号：YW20250304000123）"
    text = prepared.text
    assert "一、市场监督管理局\n  1. 公司章程：未上传\n  2. 住所使用证明：复印件不清晰" in text
    assert "二、住房公积金中心\n  1. 法定代表人身份证：已过期" in text
    assert "补正通知编号：S1" in text
    sms = supplement_notice(APPLICATION, supplement("sms", "13812341234")).text
    assert "需一次性补正3项材料：市场监督管理局：公司章程、住所使用证明；住房公积金中心" in sms


def test_a_material_asked_twice_by_one_department_is_listed_once() -> None:
    twice = supplement().model_dump(mode="json")
    twice["requests"].append(
        {
            "subtask": "amr-seal",
            "department": "amr",
            "materials": [{"code": "articles", "name": "公司章程", "reason": "未上传"}],
        }
    )
    grouped = materials_by_department(SupplementNoticeIssued.model_validate(twice))
    assert [m.code for m in grouped["amr"]] == ["articles", "lease"]


def test_a_long_sms_is_cut_to_the_limit() -> None:
    reasons = [
        {"subtask": f"s{i}", "department": "amr", "reason": "材料与登记信息不一致" * 5}
        for i in range(5)
    ]
    text = outcome_notice(
        APPLICATION, outcome("rejected", reasons=reasons, delivery=MOBILE), DECIDED
    ).text
    assert len(text) == SMS_MAX_CHARS and text.endswith("…")
    assert text.startswith(SIGNATURE)


def test_a_lapse_says_the_application_ended_for_want_of_a_supplement() -> None:
    prepared = outcome_notice(APPLICATION, outcome("lapsed"), DECIDED)
    assert (prepared.kind, prepared.notice_key) == ("lapse", "outcome")
    assert prepared.subject == (
        "【一网通办】企业开办已终止办理（逾期未补正）（受理编号：YW20250304000123）"
    )
    assert "因未在补正期限内提交补正材料，已终止办理。如仍需办理，请重新提交申请。" in prepared.text
    assert prepared.document["kind"] == "lapse" and prepared.result_hash
    sms = outcome_notice(APPLICATION, outcome("lapsed", **{"delivery": MOBILE}), DECIDED).text
    assert sms.startswith(SIGNATURE + "陈明您好") and "因逾期未补正已终止办理" in sms


def test_a_held_result_lists_the_owed_materials_and_the_promised_date() -> None:
    prepared = held_notice(APPLICATION, held(), ["住所（经营场所）使用证明"], DECIDED)
    assert (prepared.kind, prepared.notice_key) == ("held", "held")
    assert prepared.subject == (
        "【一网通办】企业开办各部门已办结，待补交材料后出件（受理编号：YW20250304000123）"
    )
    assert "各部门均已办结。" in prepared.text
    assert "办理结果暂缓统一出件：\n\n1. 住所（经营场所）使用证明\n\n请于2025年3月10日前补交。" in (
        prepared.text
    )
    assert prepared.document["missing"] == [
        {"code": "premises-proof", "name": "住所（经营场所）使用证明"}
    ]
    assert prepared.document["promised_by"] == "2025-03-10"
    sms = held_notice(APPLICATION, held(delivery=MOBILE), ["住所使用证明"], DECIDED).text
    assert "待补交住所使用证明后统一出件，请于2025年3月10日前补交。" in sms

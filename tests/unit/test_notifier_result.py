"""The one result: certificates with verification hashes anyone can recompute, and a hash
over the whole document."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from contracts.departments import department_name
from contracts.events import OutcomeDecided, SupplementNoticeIssued
from services.notifier.domain.notices import OUTCOME_KEY, outcome_notice, supplement_notice
from services.notifier.domain.result import assemble_result

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


def outcome(
    decision: str = "approved",
    *,
    channel: str = "webhook",
    address: str = "https://hooks.example.cn/onewindow?token=t0p",
    **fields: Any,
) -> OutcomeDecided:
    return OutcomeDecided.model_validate(
        {
            "matter": "business-startup",
            "matter_name": "企业开办",
            "receipt_number": "YW20250304000123",
            "applicant_name": "陈明",
            "delivery": {"channel": channel, "address": address},
            "decision": decision,
            "certificates": CERTIFICATES if decision == "approved" else (),
            **fields,
        }
    )


def supplement(channel: str = "email", address: str = "chen@example.cn") -> SupplementNoticeIssued:
    return SupplementNoticeIssued.model_validate(
        {
            "matter": "business-startup",
            "matter_name": "企业开办",
            "receipt_number": "YW20250304000123",
            "applicant_name": "陈明",
            "delivery": {"channel": channel, "address": address},
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


def expected_hash(fields: dict[str, str]) -> str:
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def test_every_certificate_carries_a_hash_of_its_canonical_fields() -> None:
    document = assemble_result(APPLICATION, outcome(), DECIDED).document()
    licence, seal = document["certificates"]
    assert licence["issued_at"] == "2025-03-04T01:30:00Z"  # normalised to UTC
    assert licence["verification_hash"] == expected_hash(
        {
            "application_id": str(APPLICATION),
            "receipt_number": "YW20250304000123",
            "department": "amr",
            "title": "营业执照",
            "number": "330100984437842",
            "issued_at": "2025-03-04T01:30:00Z",
        }
    )
    assert (licence["department_name"], seal["department_name"]) == ("市场监督管理局", "公安局")
    assert licence["verification_hash"] != seal["verification_hash"]


def test_the_result_hash_covers_the_whole_document() -> None:
    result = assemble_result(APPLICATION, outcome(), DECIDED)
    document = result.document()
    body = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert result.result_hash == hashlib.sha256(body.encode()).hexdigest()
    other = assemble_result(APPLICATION, outcome(receipt_number="YW2"), DECIDED)
    assert other.result_hash != result.result_hash
    assert other.certificates[0].verification_hash != result.certificates[0].verification_hash


def test_an_unknown_department_is_named_by_its_code() -> None:
    assert department_name("nrb") == "自然资源和规划局"
    assert department_name("port-authority") == "port-authority"


def test_approved_rejected_and_withdrawn_become_their_kinds_of_notice() -> None:
    approved = outcome_notice(APPLICATION, outcome(), DECIDED)
    assert (approved.kind, approved.notice_key) == ("result", OUTCOME_KEY)
    assert approved.result_hash == assemble_result(APPLICATION, outcome(), DECIDED).result_hash
    assert approved.document["certificates"][1]["number"] == "YZ-2025-0001"
    reasons = [
        {"subtask": "amr-licence", "department": "amr", "reason": "名称与已登记企业重名"},
        {"subtask": "tax-invoicing", "department": "tax", "reason": "存在未结清的欠税"},
    ]
    rejected = outcome_notice(APPLICATION, outcome("rejected", reasons=reasons), DECIDED)
    assert rejected.kind == "rejection"
    assert [r["department_name"] for r in rejected.document["reasons"]] == [
        "市场监督管理局",
        "税务局",
    ]
    withdrawn = outcome_notice(APPLICATION, outcome("withdrawn"), DECIDED)
    assert (withdrawn.kind, withdrawn.document["kind"]) == ("withdrawal", "withdrawal")


def test_a_supplement_notice_keeps_every_department_request() -> None:
    prepared = supplement_notice(APPLICATION, supplement())
    assert (prepared.kind, prepared.notice_key, prepared.result_hash) == ("supplement", "S1", None)
    assert [r["department"] for r in prepared.document["requests"]] == ["amr", "hpf"]
    assert prepared.document["requests"][0]["materials"][1]["name"] == "住所使用证明"

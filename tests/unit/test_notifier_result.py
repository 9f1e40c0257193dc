"""The one result: certificates with verification hashes anyone can recompute, and a hash
over the whole document."""

from __future__ import annotations

import hashlib
import json

from contracts.departments import department_name
from services.notifier.domain.notices import OUTCOME_KEY, outcome_notice, supplement_notice
from services.notifier.domain.result import assemble_result
from tests.notices import APPLICATION, DECIDED, outcome, supplement


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

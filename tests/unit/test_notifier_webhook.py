"""The webhook body and its signature, as a receiver checks them."""

from __future__ import annotations

import hashlib
import hmac
import json

from services.notifier.domain.notices import outcome_notice
from services.notifier.domain.webhook import sign, verify, webhook_body, webhook_headers
from tests.notices import APPLICATION, DECIDED, outcome

SECRET = b"webhook-test-secret"


def test_the_signature_is_the_hmac_of_the_exact_body_bytes() -> None:
    body = '{"kind":"result","text":"已办结"}'.encode()
    expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    assert sign(SECRET, body) == f"sha256={expected}"
    assert verify(SECRET, body, f"sha256={expected}")
    assert not verify(SECRET, body + b" ", f"sha256={expected}")
    assert not verify(b"other", body, f"sha256={expected}")


def test_the_body_is_utf8_json_with_the_document_and_text() -> None:
    prepared = outcome_notice(APPLICATION, outcome(), DECIDED)
    body = webhook_body(prepared, "notice-x-outcome")
    assert "营业执照".encode() in body  # not \u-escaped
    sent = json.loads(body.decode("utf-8"))
    assert sent["delivery_id"] == "notice-x-outcome"
    assert sent["kind"] == "result"
    assert sent["document"] == prepared.document
    assert sent["result_hash"] == prepared.result_hash
    assert sent["text"] == prepared.text


def test_headers_name_the_delivery_and_the_kind() -> None:
    prepared = outcome_notice(APPLICATION, outcome("withdrawn"), DECIDED)
    body = webhook_body(prepared, "notice-x-outcome")
    headers = webhook_headers(SECRET, body, prepared, "notice-x-outcome")
    assert headers["X-OneWindow-Delivery"] == "notice-x-outcome"
    assert headers["X-OneWindow-Event"] == "withdrawal"
    assert verify(SECRET, body, headers["X-OneWindow-Signature"])
    assert headers["Content-Type"] == "application/json; charset=utf-8"

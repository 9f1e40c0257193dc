"""What a webhook receiver gets: the structured notice and its text as UTF-8 JSON, signed
with ``sha256=<hex HMAC-SHA256 of the exact body bytes>``."""

from __future__ import annotations

import hashlib
import hmac
import json

from services.notifier.domain.events import NoticePrepared

SIGNATURE_HEADER = "X-OneWindow-Signature"
DELIVERY_HEADER = "X-OneWindow-Delivery"
EVENT_HEADER = "X-OneWindow-Event"


def webhook_body(prepared: NoticePrepared, delivery_id: str) -> bytes:
    return json.dumps(
        {
            "delivery_id": delivery_id,
            "kind": prepared.kind,
            "notice_key": prepared.notice_key,
            "subject": prepared.subject,
            "text": prepared.text,
            "document": prepared.document,
            "result_hash": prepared.result_hash,
        },
        ensure_ascii=False,
    ).encode()


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


def webhook_headers(
    secret: bytes, body: bytes, prepared: NoticePrepared, delivery_id: str
) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign(secret, body),
        DELIVERY_HEADER: delivery_id,
        EVENT_HEADER: prepared.kind,
    }

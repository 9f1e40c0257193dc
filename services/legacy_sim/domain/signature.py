"""The signature on callbacks: ``sha256=<hex HMAC-SHA256 of the exact body bytes>``."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Legacy-Signature"


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)

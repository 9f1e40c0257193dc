"""Certificate numbers, deterministic from a seed text (the idempotency key) so that a retried
filing is answered with exactly the same numbers."""

from __future__ import annotations

import hashlib
import random
from datetime import date

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class InvalidCode(ValueError):
    """A code body contains a character outside its alphabet or has the wrong length."""


def credit_code_check_char(body: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015) for its first 17."""
    if len(body) != 17 or any(c not in CREDIT_CODE_ALPHABET for c in body):
        raise InvalidCode(f"not a 17-character credit code body: {body!r}")
    values = (CREDIT_CODE_ALPHABET.index(c) for c in body)
    total = sum(v * w for v, w in zip(values, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    try:
        return len(code) == 18 and credit_code_check_char(code[:17]) == code[17]
    except InvalidCode:
        return False


def org_code_check_char(body: str) -> str:
    """The 9th character of an organisation code (GB 11714-1997) for its first 8."""
    if len(body) != 8 or any(c not in _ORG_CODE_ALPHABET for c in body):
        raise InvalidCode(f"not an 8-character organisation code body: {body!r}")
    values = (_ORG_CODE_ALPHABET.index(c) for c in body)
    total = sum(v * w for v, w in zip(values, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def seeded_random(seed_text: str) -> random.Random:
    digest = hashlib.sha256(seed_text.encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def reference(prefix: str, seed_text: str, length: int = 16) -> str:
    """A receipt-like reference, e.g. ``AMR-3F9A2C7D1E4B0A5C``, unique per seed text."""
    return f"{prefix}-{hashlib.sha256(seed_text.encode()).hexdigest()[:length].upper()}"


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def credit_code(rng: random.Random, region: str = "330100") -> str:
    """``9`` (market regulation) ``1`` (enterprise), region, organisation code, check char."""
    org_body = digits(rng, 8)
    body = f"91{region}{org_body}{org_code_check_char(org_body)}"
    return body + credit_code_check_char(body)


RESIDENT_ID_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
_RESIDENT_ID_CHECK_CHARS = "10X98765432"  # indexed by weighted sum mod 11 (ISO 7064 MOD 11-2)


def resident_id_check_char(body: str) -> str:
    """The 18th character of a citizen ID number (GB 11643-1999) for its first 17 digits."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise InvalidCode(f"not a 17-digit resident ID body: {body!r}")
    total = sum(int(d) * w for d, w in zip(body, RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK_CHARS[total % 11]


def is_valid_resident_id(number: str) -> bool:
    try:
        return len(number) == 18 and resident_id_check_char(number[:17]) == number[17]
    except InvalidCode:
        return False


def resident_id(rng: random.Random, region: str, born: date, male: bool) -> str:
    """Region (6 digits), birth date, a 3-digit sequence (odd for men), check character."""
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + resident_id_check_char(body)

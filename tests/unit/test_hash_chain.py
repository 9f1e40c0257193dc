from __future__ import annotations

import hashlib
import json
import unicodedata
from decimal import Decimal

import pytest

from contracts.envelope import Envelope
from eventlog.hashing import canonical_json, chain_hash, stored_hash
from tests.helpers import event


def test_hash_depends_on_content_position_and_predecessor() -> None:
    first = event(n=1)
    digest = chain_hash(None, "s", 1, first)
    assert digest == chain_hash(None, "s", 1, first)
    assert digest != chain_hash(None, "s", 2, first)
    assert digest != chain_hash(b"x", "s", 1, first)
    altered = Envelope.model_validate({**first.model_dump(), "payload": {**first.payload, "n": 2}})
    assert digest != chain_hash(None, "s", 1, altered)


def test_numbers_are_written_as_postgresql_reads_them_back() -> None:
    """The canonical text of scheme 2: numbers as a jsonb numeric prints, whatever Python
    type held them; so 1e16 as a float and as the integer jsonb returns hash alike."""
    assert canonical_json(1e16) == canonical_json(10**16) == "10000000000000000"
    assert canonical_json(1e-7) == canonical_json(Decimal("0.0000001")) == "0.0000001"
    assert canonical_json(Decimal("1.50")) == "1.50"
    assert canonical_json(1.5) == "1.5"
    assert canonical_json(-0.0) == canonical_json(Decimal("-0.0")) == "0.0"
    assert canonical_json(2**80) == "1208925819614629174706176"
    assert canonical_json(1.7976931348623157e308) == "17976931348623157" + "0" * 292
    assert canonical_json(True) == "true" and canonical_json(None) == "null"


def test_text_and_keys_keep_every_code_point() -> None:
    nfc, nfd = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    assert canonical_json({"b": nfd, "a": nfc, "é": "😀中文"}) == (
        '{"a":"café","b":"cafe\u0301","é":"😀中文"}'
    )
    assert canonical_json(["\n", '"', "\x7f"]) == '["\\n","\\"","\x7f"]'


@pytest.mark.parametrize("value", [float("inf"), float("nan"), {1: "x"}, b"x"])
def test_what_is_not_json_is_refused(value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        canonical_json(value)


def test_scheme_one_still_hashes_as_before() -> None:
    first = event(n=1)
    old = hashlib.sha256(
        json.dumps(
            {
                "stream_id": "s",
                "version": 1,
                "meta": first.model_dump(mode="json", exclude={"payload"}),
                "payload": first.payload,
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
    ).digest()
    assert stored_hash(1, None, "s", 1, first, first.payload) == old

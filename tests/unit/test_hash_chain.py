from __future__ import annotations

from contracts.envelope import Envelope
from eventlog.hashing import chain_hash
from tests.helpers import event


def test_hash_depends_on_content_position_and_predecessor() -> None:
    first = event(n=1)
    digest = chain_hash(None, "s", 1, first)
    assert digest == chain_hash(None, "s", 1, first)
    assert digest != chain_hash(None, "s", 2, first)
    assert digest != chain_hash(b"x", "s", 1, first)
    altered = Envelope.model_validate({**first.model_dump(), "payload": {**first.payload, "n": 2}})
    assert digest != chain_hash(None, "s", 1, altered)

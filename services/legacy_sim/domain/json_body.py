"""A request body's JSON, as every stand-in reads it: UTF-8 only (a BOM is allowed), and no
string in it that UTF-8 cannot carry — so whatever is echoed back can be answered."""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class NotJson(ValueError):
    """The body is not UTF-8 JSON; the message says why."""


def parse_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8-sig")  # strict: UTF-8-encoded surrogates are refused too
        data = json.loads(text)
    except (ValueError, RecursionError) as e:  # not UTF-8, not JSON, nested too deep
        raise NotJson(f"body is not JSON: {e}") from None
    if _SURROGATE_ESCAPE.search(text):  # a \uD800-\uDFFF escape: half of a pair, or alone
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise NotJson("body is not JSON: a \\u escape names half a character") from None
    return data

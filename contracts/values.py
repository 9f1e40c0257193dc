"""What a value from outside must be for every part of OneWindow to read it the same way.

Text is stored in PostgreSQL and sent as UTF-8 to departments, so it holds no NUL character
(PostgreSQL's text cannot) and no lone surrogate (UTF-8 cannot encode one). Numbers follow
I-JSON (RFC 7493): finite, and integers within ±(2**53 - 1), the range every JSON reader
(JavaScript's included) holds exactly; an overflowing literal like 1e400 would otherwise
become infinity here and null in the event log. Nesting is bounded, so no reader recurses
without limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32
MAX_SAFE_INTEGER = 2**53 - 1
_UNREADABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Problem:
    """One value refused: where (a dotted path, as in validation errors), the rule, why."""

    field: str
    rule: str
    message: str


def text_problem(text: str) -> tuple[str, str] | None:
    """(rule, message) if `text` cannot be stored or sent as it is."""
    found = _UNREADABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "nul_character", "不能包含 NUL 字符 / must not contain the NUL character (\\u0000)"
    return "lone_surrogate", (
        f"不能包含孤立的代理字符 / must not contain a lone surrogate ({printable(found.group())})"
    )


def number_problem(number: int | float) -> tuple[str, str] | None:
    """(rule, message) if `number` is not one every JSON reader holds exactly."""
    if isinstance(number, bool):
        return None
    if isinstance(number, float) and not math.isfinite(number):
        return "finite_number", "数值超出范围 / must be a finite number (not ±infinity or NaN)"
    if isinstance(number, int) and abs(number) > MAX_SAFE_INTEGER:
        return "safe_integer", (
            f"整数超出范围 / an integer must be within ±{MAX_SAFE_INTEGER} (2**53 - 1)"
        )
    return None


def interoperable_number(number: object) -> bool:
    return isinstance(number, int | float) and number_problem(number) is None


def printable(text: str) -> str:
    """`text` with NUL and lone surrogates as \\u escapes: safe to name in an answer or a log."""
    return _UNREADABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def value_problems(value: Any, max_depth: int = MAX_DEPTH) -> list[Problem]:
    """Every string (object keys too) and number of a parsed JSON `value` that is refused,
    and a nesting deeper than `max_depth`; named by path (`form.company.name`, `materials.2`)."""
    return list(_walk(value, max_depth))


def _walk(value: Any, max_depth: int) -> Iterator[Problem]:
    # Iterative, so a deep value cannot exhaust the interpreter's stack here.
    pending: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while pending:
        item, path = pending.pop()
        field = ".".join(path) or "(body)"
        if isinstance(item, dict | list) and len(path) >= max_depth:
            yield Problem(field, "max_depth", f"嵌套过深 / nested deeper than {max_depth} levels")
            continue
        if isinstance(item, dict):
            for key, inner in reversed(item.items()):
                name = (*path, printable(key))
                found = text_problem(key)
                if found:
                    yield Problem(".".join(name), found[0], f"字段名 / field name: {found[1]}")
                pending.append((inner, name))
        elif isinstance(item, list):
            pending.extend((inner, (*path, str(i))) for i, inner in reversed(list(enumerate(item))))
        elif isinstance(item, str):
            found = text_problem(item)
            if found:
                yield Problem(field, *found)
        elif isinstance(item, int | float):
            found = number_problem(item)
            if found:
                yield Problem(field, *found)

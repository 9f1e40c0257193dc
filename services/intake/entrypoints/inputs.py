"""What intake accepts of a request before any route sees it: the JSON body (media type,
size, syntax, nesting, strings, numbers) and the text of headers, path and query parameters
(contracts/values.py). The one place a body is parsed; a refusal names the field."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from fastapi import Request

from contracts.values import MAX_DEPTH, Problem, printable, text_problem, value_problems
from services.intake.entrypoints.errors import HttpRefusal, summary_message

DEFAULT_MAX_BODY = 262144


def check_request_text(request: Request) -> None:
    """A 400 naming each header, path or query parameter whose text cannot be stored."""
    named = [
        *((name, value) for name, value in request.headers.items()),
        *((str(name), str(value)) for name, value in request.path_params.items()),
        *((key, key) for key in request.query_params),
        *request.query_params.multi_items(),
    ]
    problems = list(
        {
            Problem(printable(name), *found): None
            for name, value in named
            if (found := text_problem(value))
        }
    )
    if problems:
        listed = [_listed(p) for p in problems]
        raise HttpRefusal(400, "bad_request", summary_message("请求参数有误 / bad request", listed),
                          {"errors": listed})  # fmt: skip


async def read_json(request: Request) -> None:
    """Read, bound and parse the body; keep it for FastAPI and its canonical sha256."""
    cap = getattr(request.app.state.service.settings, "max_body_bytes", DEFAULT_MAX_BODY)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise HttpRefusal(
            415,
            "unsupported_media_type",
            f"请求体应为 application/json / the body must be application/json, not {media!r}",
        )
    length = request.headers.get("content-length")
    # ASCII digits only, and few: "²" is a digit to str.isdigit, and 5000 nines overflow int()
    if length is not None and (not re.fullmatch("[0-9]{1,15}", length) or int(length) > cap):
        raise _too_large(cap)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise _too_large(cap)
    request._body = bytes(body)  # FastAPI reads the body from here
    value = _parsed(bytes(body))
    problems = value_problems(value)
    too_deep = [p for p in problems if p.rule == "max_depth"]
    if too_deep:
        raise _too_deep(too_deep[0].field)
    if problems:
        listed = [_listed(p) for p in problems]
        title = "申请内容不符合要求 / validation failed"
        raise HttpRefusal(
            422, "validation_failed", summary_message(title, listed), {"errors": listed}
        )
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    request.state.body_sha256 = hashlib.sha256(canonical.encode()).hexdigest()


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise _too_deep(None) from None  # deeper than the parser goes: far over MAX_DEPTH
    except ValueError as exc:  # UnicodeDecodeError and an over-long integer literal too
        message = f"请求体不是合法的 JSON / malformed JSON: {exc}"
        raise HttpRefusal(400, "malformed_json", message) from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _too_large(cap: int) -> HttpRefusal:
    return HttpRefusal(
        413, "body_too_large", f"请求体过大 / the body is over {cap} bytes", {"max_bytes": cap}
    )


def _too_deep(field: str | None) -> HttpRefusal:
    message = f"请求体嵌套过深 / the body nests deeper than {MAX_DEPTH} levels"
    where = {"field": field} if field else {}
    return HttpRefusal(400, "too_deeply_nested", message, {"max_depth": MAX_DEPTH, **where})


def _listed(problem: Problem) -> dict[str, str]:
    return {"field": problem.field, "rule": problem.rule, "message": problem.message}

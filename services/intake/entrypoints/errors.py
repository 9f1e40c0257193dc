"""The one error format: {code, message, details}, and which status each refusal gets."""

from __future__ import annotations

import json
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake.domain.errors import (
    AlreadyDone,
    ApplicationClosed,
    ApplicationNotFound,
    FollowUpNotFound,
    IdempotencyKeyReused,
    InvalidApplication,
    KindNotAllowed,
    MatterNotFound,
    NotCollectable,
    NotDecided,
    NothingOwed,
    NoticeNotPending,
    Refusal,
)


class ErrorBody(BaseModel):
    code: str = Field(examples=["validation_failed"])
    message: str
    details: dict[str, Any] = Field(
        description="e.g. errors: [{field, rule, message}], valid_codes: [...]"
    )


class HttpRefusal(Refusal):
    """A refusal only the HTTP edge knows: 400, 401, 413, 415."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, details)
        self.status, self.code, self.headers = status, code, headers


_STATUS: dict[type[Refusal], int] = {
    ApplicationNotFound: 404,
    MatterNotFound: 404,
    InvalidApplication: 422,
    IdempotencyKeyReused: 409,
    NoticeNotPending: 409,
    ApplicationClosed: 409,
    KindNotAllowed: 403,
    FollowUpNotFound: 404,
    NothingOwed: 409,
    NotDecided: 409,
    NotCollectable: 409,
    AlreadyDone: 409,
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": what}
    for status, what in {
        400: "Malformed JSON, a missing header or a bad query parameter",
        401: "No valid API key",
        403: "A client of this kind may not do this (e.g. only clerks see statistics)",
        404: "Not found, or not yours",
        409: "Conflicts with what happened before",
        413: "Body too large",
        415: "Body is not application/json",
        422: "Validation failed: details.errors name each field and rule",
    }.items()
}


class _ErrorJSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        # An answer never fails to encode: a lone surrogate echoed back is sent as its escape.
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(code=code, message=message, details=details or {})
    return _ErrorJSON(body.model_dump(), status_code=status, headers=headers)


def refusal_response(exc: Refusal) -> JSONResponse:
    if isinstance(exc, HttpRefusal):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
    return error_response(_STATUS.get(type(exc), 400), exc.code, exc.message, exc.details)


def validation_response(exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "请求体不是合法的 JSON / malformed JSON")
    where = {str(e["loc"][0]) for e in errors if e.get("loc")}
    if "path" in where:
        return error_response(404, "not_found", "没有这个申请 / no such application")
    outside = [e for e in errors if e.get("loc") and e["loc"][0] in ("header", "query")]
    if outside:
        listed = [_named(e) for e in outside]
        return error_response(
            400,
            "bad_request",
            summary_message("请求参数有误 / bad request", listed),
            {"errors": listed},
        )
    listed = [_named(e) for e in errors]
    return error_response(
        422,
        "validation_failed",
        summary_message("申请内容不符合要求 / validation failed", listed),
        {"errors": listed},
    )


def _named(error: Any) -> dict[str, str]:
    loc = [str(part) for part in error.get("loc", ())]
    field = ".".join(loc[1:]) if loc and loc[0] in ("body", "query", "header") else ".".join(loc)
    return {"field": field or "(body)", "rule": str(error.get("type")), "message": error["msg"]}


def summary_message(title: str, errors: list[dict[str, str]]) -> str:
    """The title, then each error's `field: rule`."""
    return f"{title}: " + "; ".join(f"{e['field']}: {e['rule']}" for e in errors)

"""Why intake refuses a request: values the edge turns into {code, message, details}."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.catalog import FormError


class Refusal(Exception):
    """Base of every refusal; `details` is JSON the client can act on."""

    code = "refused"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message, self.details = message, details or {}


class ApplicationNotFound(Refusal):
    code = "not_found"

    def __init__(self, application_id: object) -> None:
        super().__init__(
            f"没有这个申请 / no application {application_id}",
            {"application_id": str(application_id)},
        )


class InvalidApplication(Refusal):
    """The request names fields that break a rule: each error names the field and the rule."""

    code = "validation_failed"

    def __init__(self, errors: Sequence[FormError]) -> None:
        super().__init__(
            "申请内容不符合要求 / the request is not valid: "
            + "; ".join(f"{e.field}: {e.rule}" for e in errors),
            {"errors": [e.model_dump() for e in errors]},
        )
        self.errors = list(errors)


class IdempotencyKeyReused(Refusal):
    code = "idempotency_key_reused"

    def __init__(self, key: str) -> None:
        super().__init__(
            "该幂等键已用于另一份申请 / this Idempotency-Key was used with a different body",
            {"idempotency_key": key},
        )


class NoticeNotPending(Refusal):
    code = "notice_not_pending"

    def __init__(self, notice_id: str, pending: str | None) -> None:
        super().__init__(
            f"补正通知 {notice_id} 不是待答复的通知 / notice {notice_id} is not the pending one",
            {"notice_id": notice_id, "pending_notice_id": pending},
        )


class ApplicationClosed(Refusal):
    code = "application_closed"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"申请已{'撤回' if status == 'withdrawn' else '办结'}，不能撤回 / "
            f"the application is {status} and can no longer be withdrawn",
            {"status": status},
        )


class MatterNotFound(Refusal):
    code = "not_found"

    def __init__(self, code: str, valid_codes: list[str]) -> None:
        super().__init__(
            f"没有这个事项 / no matter {code!r}", {"code": code, "valid_codes": valid_codes}
        )


class KindNotAllowed(Refusal):
    """The API key is valid, but a client of its kind may not do this (403)."""

    code = "forbidden"

    def __init__(self, kind: str, allowed: Sequence[str], doing: str) -> None:
        super().__init__(
            f"{kind} 类客户端不能{doing} / a {kind} client may not do this; only"
            f" {', '.join(allowed)} keys may",
            {"kind": kind, "allowed_kinds": list(allowed)},
        )


class NothingOwed(Refusal):
    code = "nothing_owed"

    def __init__(self) -> None:
        super().__init__("没有待补交的容缺材料 / no deferred materials are owed", {"owed": []})


class NotDecided(Refusal):
    code = "not_decided"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"尚未办结 / the application has no outcome yet (status {status})", {"status": status}
        )


class NotCollectable(Refusal):
    code = "not_collectable"

    def __init__(self, decision: str | None, collection: str) -> None:
        super().__init__(
            "没有需要领取或寄递的纸质结果 / no paper result to collect: decision"
            f" {decision or 'none yet'}, collection {collection}",
            {"decision": decision, "collection": collection},
        )


class AlreadyDone(Refusal):
    """Done once per application (collection, evaluation) or per case (closing a follow-up)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details)
        self.code = code


class FollowUpNotFound(Refusal):
    code = "not_found"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"没有这个回访工单 / no follow-up {case_id!r}", {"case_id": case_id})

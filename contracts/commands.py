"""The commands front-end clients send to intake over HTTP: file an application, answer a
supplement notice, withdraw, hand in deferred materials, collect the result, evaluate, and a
clerk's closing of a follow-up. Each names its route (`route`); their JSON Schemas are published
under contracts/schemas/commands/ and the same models are intake's OpenAPI request bodies.

Identifiers are checked here, so a refusal names the field and the rule
(`applicant.id_number`, `cn-resident-id`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationInfo,
)
from pydantic import field_validator as _field_validator
from pydantic_core import PydanticCustomError

from contracts.catalog.identifiers import (
    InvalidIdentifier,
    check_credit_code,
    check_mobile,
    check_resident_id,
)
from contracts.events import DeliveryChannel
from contracts.webhook_targets import Refused, read_target


def _integral(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A JSON integer as JSON Schema means it: 4 and 4.0 alike; not 4.5, "4" or true.
JsonInteger = Annotated[StrictInt, BeforeValidator(_integral)]
MaterialCode = Annotated[str, StringConstraints(min_length=1, max_length=100)]
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def _check(rule: str, check: Callable[[str], None], value: str) -> str:
    try:
        check(value)
    except InvalidIdentifier as exc:
        raise PydanticCustomError(rule, "{reason}", {"reason": str(exc)}) from None
    return value


def _check_webhook(value: str) -> str:
    """The URL's shape only; whether its receiver may be reached is intake's check, with
    the operators' allow-list (contracts/webhook_targets)."""
    try:
        read_target(value)
    except Refused as exc:
        raise PydanticCustomError(exc.rule, "{reason}", {"reason": str(exc)}) from None
    return value


def _check_email(value: str) -> None:
    if not _EMAIL.fullmatch(value):
        raise InvalidIdentifier("电子邮箱格式不正确 / must be an e-mail address")


_ADDRESS_RULES: dict[str, Callable[[str], str]] = {
    "webhook": _check_webhook,
    "email": partial(_check, "email", _check_email),
    "sms": partial(_check, "cn-mobile", check_mobile),
}


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    route: ClassVar[str] = ""  # "METHOD /path" of the command; empty for a command's parts


class Applicant(Command):
    kind: Literal["person", "company"] = Field(description="A person, or a company (its agent).")
    name: str = Field(min_length=1, max_length=100, examples=["陈思远"])
    id_number: str = Field(
        description="person: resident ID (GB 11643); company: unified social credit code",
        examples=["330106199003071236"],
    )
    mobile: str | None = Field(default=None, examples=["13857101234"])

    @_field_validator("id_number")
    @classmethod
    def _id_checksum(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kind") == "company":
            return _check("cn-credit-code", check_credit_code, value)
        return _check("cn-resident-id", check_resident_id, value)

    @_field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return None if value is None else _check("cn-mobile", check_mobile, value)


class Delivery(Command):
    channel: DeliveryChannel
    address: str = Field(
        min_length=3,
        max_length=500,
        description="webhook: an http(s) URL of a public receiver (docs/api.md); email: an"
        " e-mail address; sms: a mainland mobile number",
    )

    @_field_validator("address")
    @classmethod
    def _address(cls, value: str, info: ValidationInfo) -> str:
        check = _ADDRESS_RULES.get(str(info.data.get("channel")))
        return value if check is None else check(value)


class SubmitApplication(Command):
    """File one application for one matter (idempotent by the Idempotency-Key header)."""

    route: ClassVar[str] = "POST /v1/applications"

    matter: str = Field(min_length=1, max_length=100, examples=["business-startup"])
    applicant: Applicant
    form: dict[str, Any] = Field(description="The unified form; its schema is in the guide.")
    materials: list[MaterialCode] = Field(
        default_factory=list,
        max_length=100,
        description="Codes of the materials handed in (source `applicant` in the guide).",
    )
    delivery: Delivery
    collection: Literal["electronic", "pickup", "express"] = Field(
        default="electronic",
        description="How the paper result reaches the applicant: pickup at a hall is a visit.",
    )
    deferred_materials: list[MaterialCode] = Field(
        default_factory=list,
        max_length=100,
        description="Non-key applicant materials accepted as missing (容缺), brought later.",
    )
    materials_promised_by: date | None = Field(
        default=None,
        description="Required iff deferred_materials: a future date within the calendar.",
        examples=["2026-12-04"],
    )


class SubmitSupplement(Command):
    """Answer a supplement notice with the materials (and corrected form) it asked for."""

    route: ClassVar[str] = "POST /v1/applications/{application_id}/supplements"

    notice_id: str = Field(min_length=1, max_length=200, examples=["S1"])
    materials: list[MaterialCode] = Field(default_factory=list, max_length=100)
    form: dict[str, Any] | None = Field(default=None, description="The whole corrected form.")


class WithdrawApplication(Command):
    """Withdraw an application before its result; in-flight filings are cancelled."""

    route: ClassVar[str] = "POST /v1/applications/{application_id}/withdraw"

    reason: str = Field(min_length=1, max_length=500, examples=["不再需要办理"])


class HandInMaterials(Command):
    """Hand in materials accepted as missing (容缺); the held result is released."""

    route: ClassVar[str] = "POST /v1/applications/{application_id}/materials"

    materials: list[MaterialCode] = Field(
        min_length=1, max_length=100, description="Deferred materials now handed in."
    )


class CollectResult(Command):
    """Collect the paper result: at the hall (a visit) or by express delivery."""

    route: ClassVar[str] = "POST /v1/applications/{application_id}/collection"

    method: Literal["pickup", "express"] = Field(description="pickup at the hall: a visit")


class EvaluateApplication(Command):
    """Rate the service once after the result (好差评); 1 or 2 opens a follow-up case. Given
    through the client that filed the application, or recorded by a clerk as told at the
    counter (then marked so, and left out of the satisfaction rate)."""

    route: ClassVar[str] = "POST /v1/applications/{application_id}/evaluation"

    rating: JsonInteger = Field(ge=1, le=5, description="1 (very bad) to 5 (very good)")
    comment: str | None = Field(default=None, min_length=1, max_length=1000)


class CloseFollowUp(Command):
    """A clerk closes a follow-up case with the response given to the applicant."""

    route: ClassVar[str] = "POST /v1/follow-ups/{case_id}/close"

    response: str = Field(min_length=1, max_length=2000, description="What was done about it.")


COMMANDS: tuple[type[Command], ...] = (
    SubmitApplication,
    SubmitSupplement,
    WithdrawApplication,
    HandInMaterials,
    CollectResult,
    EvaluateApplication,
    CloseFollowUp,
)

"""Checking a submission, a supplement or a hand-in against its matter in the catalog, and
a submission's delivery against the webhook policy."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from contracts.calendar import WorkingCalendar
from contracts.catalog import FormError, Matter
from contracts.commands import Delivery
from contracts.webhook_targets import AllowList, target_refusal


def form_errors(matter: Matter, form: Mapping[str, Any]) -> list[FormError]:
    """The catalog's form errors, each named by its path in the request body (`form.x.y`)."""
    return [
        FormError(field=f"form.{e.field}" if e.field else "form", rule=e.rule, message=e.message)
        for e in matter.validate_form(form)
    ]


def material_errors(
    matter: Matter, codes: Sequence[str], *, applicant_only: bool
) -> list[FormError]:
    """Unknown, repeated or (on submission) not-to-be-brought material codes."""
    known = {m.code: m for m in matter.materials}
    errors: list[FormError] = []
    for index, code in enumerate(codes):
        field = f"materials.{index}"
        material = known.get(code)
        if material is None:
            errors.append(
                FormError(
                    field=field,
                    rule="unknown_material",
                    message=f"该事项没有材料 {code} / matter {matter.code} has no material"
                    f" {code!r}; its materials: {', '.join(known)}",
                )
            )
        elif codes.index(code) != index:
            errors.append(
                FormError(field=field, rule="duplicate", message=f"材料重复 / {code} given twice")
            )
        elif applicant_only and material.spared:
            errors.append(
                FormError(
                    field=field,
                    rule="not_applicant_material",
                    message=f"{material.name} 无需申请人提交（{material.source}） / "
                    f"{code} is not brought by the applicant (source {material.source})",
                )
            )
    return errors


def submission_errors(
    matter: Matter, form: Mapping[str, Any], materials: Sequence[str]
) -> list[FormError]:
    return form_errors(matter, form) + material_errors(matter, materials, applicant_only=True)


def delivery_errors(delivery: Delivery, allow: AllowList) -> list[FormError]:
    """A webhook must reach a public receiver, or one the operators admit."""
    if delivery.channel != "webhook":
        return []
    refused = target_refusal(delivery.address, allow)
    return [] if refused is None else [_error("delivery.address", refused.rule, str(refused))]


def supplement_errors(
    matter: Matter, form: Mapping[str, Any] | None, materials: Sequence[str]
) -> list[FormError]:
    """A supplement may bring any material of the matter: a department may ask for one that
    data sharing could not fetch."""
    corrected = form_errors(matter, form) if form is not None else []
    return corrected + material_errors(matter, materials, applicant_only=False)


def _error(field: str, rule: str, message: str) -> FormError:
    return FormError(field=field, rule=rule, message=message)


def deferral_errors(
    matter: Matter,
    materials: Sequence[str],
    deferred: Sequence[str],
    promised_by: date | None,
    *,
    today: date,
    calendar: WorkingCalendar,
) -> list[FormError]:
    """Deficiency acceptance (容缺): only non-key materials the applicant would bring, not
    also handed in, against a promised date that is in the future and in the calendar."""
    known = {m.code: m for m in matter.materials}
    errors = [
        FormError(field=f"deferred_{e.field}", rule=e.rule, message=e.message)
        for e in material_errors(matter, deferred, applicant_only=True)
    ]
    for index, code in enumerate(deferred):
        field, material = f"deferred_materials.{index}", known.get(code)
        if material is None or material.spared or deferred.index(code) != index:
            continue  # named above
        if material.key:
            why = f"{material.name} 是关键材料，不能容缺 / {code} is a key material: never deferred"
            errors.append(_error(field, "key_material", why))
        elif code in materials:
            why = f"{code} 已提交，无需容缺 / {code} is also in materials"
            errors.append(_error(field, "also_handed_in", why))
    return errors + _promise_errors(bool(deferred), promised_by, today, calendar)


def _promise_errors(
    deferring: bool, promised_by: date | None, today: date, calendar: WorkingCalendar
) -> list[FormError]:
    field = "materials_promised_by"
    if promised_by is None:
        if deferring:
            return [_error(field, "missing", "容缺受理须承诺补交日期 / required with deferred")]
        return []
    if not deferring:
        why = "未容缺任何材料，不应有承诺日期 / only with deferred_materials"
        return [_error(field, "unexpected", why)]
    if promised_by <= today:
        return [_error(field, "not_future", f"须晚于今天 {today} / must be after {today}")]
    if not calendar.first <= promised_by <= calendar.last:
        why = (
            f"超出工作日历范围 / {promised_by} is outside the working-day calendar"
            f" ({calendar.first} to {calendar.last})"
        )
        return [_error(field, "outside_calendar", why)]
    return []


def hand_in_errors(owed: Collection[str], materials: Sequence[str]) -> list[FormError]:
    """A hand-in brings only materials still owed, each once."""
    errors: list[FormError] = []
    for index, code in enumerate(materials):
        field = f"materials.{index}"
        if materials.index(code) != index:
            errors.append(_error(field, "duplicate", f"材料重复 / {code} given twice"))
        elif code not in owed:
            why = f"{code} 不是待补交的容缺材料 / not owed; owed: {', '.join(sorted(owed))}"
            errors.append(_error(field, "not_owed", why))
    return errors

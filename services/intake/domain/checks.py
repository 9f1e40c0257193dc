"""Checking a submission or a supplement against its matter in the catalog."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.catalog import FormError, Matter


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


def supplement_errors(
    matter: Matter, form: Mapping[str, Any] | None, materials: Sequence[str]
) -> list[FormError]:
    """A supplement may bring any material of the matter: a department may ask for one that
    data sharing could not fetch."""
    corrected = form_errors(matter, form) if form is not None else []
    return corrected + material_errors(matter, materials, applicant_only=False)

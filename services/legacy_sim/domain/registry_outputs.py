"""Outputs of the registers: amr's business register and psb's household and seal filings."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date

from services.legacy_sim.domain.decisions import FilingRequest
from services.legacy_sim.domain.numbers import (
    credit_code,
    digits,
    is_valid_credit_code,
    resident_id,
)


def given_credit_code(request: FilingRequest) -> str | None:
    given = request.inputs.get("credit_code")
    return given if isinstance(given, str) and is_valid_credit_code(given) else None


def amr(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    region = str(request.inputs.get("region_code", "330100"))
    region = region if len(region) == 6 and region.isdigit() else "330100"
    code = given_credit_code(request) or credit_code(rng, region)
    outputs = {"credit_code": code, "licence_number": f"{region}{digits(rng, 9)}"}
    if "change" in request.subtask:
        changes = request.inputs.get("registered_changes", request.inputs.get("changes", ""))
        return outputs | {
            "change_record_number": f"{region}BG{today:%Y}{digits(rng, 6)}",
            "registered_changes": str(changes or "登记事项变更"),
            "changed_on": today.isoformat(),
        }
    name = request.inputs.get("company_name", request.inputs.get("name", ""))
    return outputs | {"company_name": str(name), "established_on": today.isoformat()}


def registered_company(
    request: FilingRequest, outputs: Mapping[str, str], today: date
) -> dict[str, object] | None:
    """The business registry's record of a company amr has just registered (a registration,
    not a change), or None. The registry is amr's own: what amr registers, it holds."""
    if request.department != "amr" or "change" in request.subtask:
        return None
    if not outputs.get("credit_code") or not outputs.get("company_name"):
        return None
    capital = request.inputs.get("registered_capital")
    return {
        "name": outputs["company_name"],
        "legal_representative": str(request.inputs.get("legal_person_name", "")),
        "registered_capital": capital if isinstance(capital, int | float) else 0,
        "status": "active",
        "established": today.isoformat(),
        "address": str(request.inputs.get("address", "")),
        "business_scope": str(request.inputs.get("business_scope", "")),
    }


def _region(request: FilingRequest, default: str) -> str:
    given = given_credit_code(request)
    region = given[2:8] if given else str(request.inputs.get("region_code", default))
    return region if len(region) == 6 and region.isdigit() else default


def _birth_date(inputs: Mapping[str, object], today: date) -> date:
    try:
        born = date.fromisoformat(str(inputs.get("birth_date")))
    except ValueError:
        return today
    return born if born <= today else today


def psb(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    region = _region(request, "330106")
    if "household" in request.subtask:
        male = request.inputs.get("gender") != "女"
        born = _birth_date(request.inputs, today)
        return {
            "citizen_id_number": resident_id(rng, region, born, male),
            "household_number": f"{rng.randrange(1, 10)}{digits(rng, 8)}",
        }
    if "update" in request.subtask:
        return {"update_reference": f"GABG{today:%Y%m%d}{digits(rng, 6)}"}
    return {"seal_filing_number": f"{region}{today:%Y}{digits(rng, 7)}"}

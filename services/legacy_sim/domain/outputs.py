"""The realistic outputs a department's system issues on completion.

Names follow the published catalog (contracts/catalog/*.yaml) so ``$outputs.<subtask>.<name>``
mappings resolve, plus the department's generic names (e.g. nrb ``certificate_number`` and
``real_estate_certificate_number`` carry the same number). Every value is a string; amounts
are decimal strings with two places; dates are ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from services.legacy_sim.domain.decisions import FilingRequest
from services.legacy_sim.domain.numbers import (
    credit_code,
    digits,
    is_valid_credit_code,
    resident_id,
)

OutputRule = Callable[[random.Random, FilingRequest, date], dict[str, str]]

_PRICE_FIELDS = ("price", "taxable_price", "transaction_price", "declared_price", "amount")
_UTILITY_PREFIX = {"water": "W", "power": "33", "gas": "G"}
_CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    return f"{value.quantize(_CENT):.2f}"


def _decimal(inputs: Mapping[str, object], name: str) -> Decimal | None:
    try:
        value = Decimal(str(inputs[name]))
    except (KeyError, InvalidOperation):
        return None
    return value if value.is_finite() and value >= 0 else None


def _price(rng: random.Random, inputs: Mapping[str, object]) -> Decimal:
    for name in _PRICE_FIELDS:
        value = _decimal(inputs, name)
        if value is not None:
            return value.quantize(_CENT)
    return Decimal(rng.randrange(100, 500) * 10_000).quantize(_CENT)


def _flag(inputs: Mapping[str, object], name: str) -> bool:
    value = inputs.get(name)
    return value is True or str(value).strip().lower() in ("true", "1", "yes", "是")


def _given_credit_code(request: FilingRequest) -> str | None:
    given = request.inputs.get("credit_code")
    return given if isinstance(given, str) and is_valid_credit_code(given) else None


def _amr(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    region = str(request.inputs.get("region_code", "330100"))
    region = region if len(region) == 6 and region.isdigit() else "330100"
    code = _given_credit_code(request) or credit_code(rng, region)
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


def _tax_receipt(rng: random.Random, today: date) -> str:
    return f"3330{today:%y}{digits(rng, 12)}"


def _deed_tax(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    price = _price(rng, request.inputs)
    deed = price * (_CENT if _flag(request.inputs, "transferee_family_home") else 3 * _CENT)
    exempt = _flag(request.inputs, "transferor_only_home_over_five_years")
    income = Decimal(0) if exempt else price * _CENT
    return {
        "tax_receipt_number": _tax_receipt(rng, today),
        "taxable_amount": _money(price),
        "deed_tax": _money(deed),
        "income_tax": _money(income),
        "tax_amount": _money(deed.quantize(_CENT) + income.quantize(_CENT)),
    }


def _income_tax(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    price = _price(rng, request.inputs)
    cost = _decimal(request.inputs, "original_cost")
    # 20 % of the gain when the cost is known, otherwise assessed at 1 % of the price (核定征收).
    if cost is None:
        income, rate = price, _CENT
    else:
        income, rate = max(price - cost, Decimal(0)), Decimal("0.20")
    return {
        "tax_receipt_number": _tax_receipt(rng, today),
        "taxable_income": _money(income),
        "tax_rate": str(rate),
        "tax_amount": _money(income * rate),
    }


def _tax(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    subtask = request.subtask
    if "deed" in subtask:
        return _deed_tax(rng, request, today)
    if "income" in subtask:
        return _income_tax(rng, request, today)
    if "report" in subtask:
        return {"report_number": f"GQBG{today:%Y}{digits(rng, 8)}"}
    if "update" in subtask:
        return {"update_reference": f"BG{today:%Y%m%d}{digits(rng, 6)}"}
    number = _given_credit_code(request) or credit_code(rng)
    quota = rng.choice((10_000, 100_000, 1_000_000))
    return {"tax_registration_number": number, "invoice_quota": f"{quota:.2f}"}


def _region(request: FilingRequest, default: str) -> str:
    given = _given_credit_code(request)
    region = given[2:8] if given else str(request.inputs.get("region_code", default))
    return region if len(region) == 6 and region.isdigit() else default


def _birth_date(inputs: Mapping[str, object], today: date) -> date:
    try:
        born = date.fromisoformat(str(inputs.get("birth_date")))
    except ValueError:
        return today
    return born if born <= today else today


def _psb(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
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


def _nrb(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    city = request.inputs.get("city")
    city = city if isinstance(city, str) and city.endswith("市") else "杭州市"
    number = f"浙({today.year}){city}不动产权第{digits(rng, 7)}号"
    return {
        "certificate_number": number,
        "real_estate_certificate_number": number,
        "registered_on": today.isoformat(),
    }


def _hcd(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    number = f"杭房备{today.year}{digits(rng, 7)}"
    return {
        "contract_filing_number": number,
        "filing_number": number,
        "filed_price": _money(_price(rng, request.inputs)),
    }


def _hrss(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    if "card" in request.subtask:
        return {"social_card_number": f"A{digits(rng, 8)}"}
    return {"social_insurance_number": f"3301{digits(rng, 10)}"}


def _mia(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    number = f"3301{digits(rng, 12)}"
    return {"medical_insurance_number": number, "insurance_number": number}


def _utility(department: str) -> OutputRule:
    def rule(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
        return {
            "account_number": f"{_UTILITY_PREFIX[department]}{digits(rng, 9)}",
            "transfer_reference": f"GH{today:%Y%m%d}{digits(rng, 6)}",
        }

    return rule


OUTPUT_RULES: dict[str, OutputRule] = {
    "amr": _amr,
    "tax": _tax,
    "nrb": _nrb,
    "hcd": _hcd,
    "hrss": _hrss,
    "mia": _mia,
    "psb": _psb,
    "hhc": lambda rng, request, today: {"birth_certificate_number": f"Q{digits(rng, 9)}"},
    "hpf": lambda rng, request, today: {"provident_fund_account": f"1001{digits(rng, 8)}"},
    **{dept: _utility(dept) for dept in _UTILITY_PREFIX},
}


def issue_outputs(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    rule = OUTPUT_RULES.get(request.department)
    if rule is None:
        return {"reference_number": digits(rng, 12)}
    return rule(rng, request, today)

"""Outputs of the tax department: registrations, reports, and the taxes on a transfer."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from services.legacy_sim.domain.amounts import CENT, amount, money, price
from services.legacy_sim.domain.decisions import FilingRequest
from services.legacy_sim.domain.numbers import credit_code, digits
from services.legacy_sim.domain.registry_outputs import given_credit_code


def _flag(inputs: Mapping[str, object], name: str) -> bool:
    value = inputs.get(name)
    return value is True or str(value).strip().lower() in ("true", "1", "yes", "是")


def _tax_receipt(rng: random.Random, today: date) -> str:
    return f"3330{today:%y}{digits(rng, 12)}"


def _deed_tax(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    value = price(rng, request.inputs)
    deed = value * (CENT if _flag(request.inputs, "transferee_family_home") else 3 * CENT)
    exempt = _flag(request.inputs, "transferor_only_home_over_five_years")
    income = Decimal(0) if exempt else value * CENT
    return {
        "tax_receipt_number": _tax_receipt(rng, today),
        "taxable_amount": money(value),
        "deed_tax": money(deed),
        "income_tax": money(income),
        "tax_amount": money(deed.quantize(CENT) + income.quantize(CENT)),
    }


def _income_tax(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    value = price(rng, request.inputs)
    cost = amount(request.inputs, "original_cost")
    # 20 % of the gain when the cost is known, otherwise assessed at 1 % of the price (核定征收).
    if cost is None:
        income, rate = value, CENT
    else:
        income, rate = max(value - cost, Decimal(0)), Decimal("0.20")
    return {
        "tax_receipt_number": _tax_receipt(rng, today),
        "taxable_income": money(income),
        "tax_rate": str(rate),
        "tax_amount": money(income * rate),
    }


def tax(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    subtask = request.subtask
    if "deed" in subtask:
        return _deed_tax(rng, request, today)
    if "income" in subtask:
        return _income_tax(rng, request, today)
    if "report" in subtask:
        return {"report_number": f"GQBG{today:%Y}{digits(rng, 8)}"}
    if "update" in subtask:
        return {"update_reference": f"BG{today:%Y%m%d}{digits(rng, 6)}"}
    number = given_credit_code(request) or credit_code(rng)
    quota = rng.choice((10_000, 100_000, 1_000_000))
    return {"tax_registration_number": number, "invoice_quota": f"{quota:.2f}"}

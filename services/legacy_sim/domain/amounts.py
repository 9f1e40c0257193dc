"""Amounts in a filing's inputs and in issued outputs: decimal strings with two places."""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
_PRICE_FIELDS = ("price", "taxable_price", "transaction_price", "declared_price", "amount")


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT):.2f}"


def amount(inputs: Mapping[str, object], name: str) -> Decimal | None:
    try:
        value = Decimal(str(inputs[name]))
    except (KeyError, InvalidOperation):
        return None
    return value if value.is_finite() and value >= 0 else None


def price(rng: random.Random, inputs: Mapping[str, object]) -> Decimal:
    for name in _PRICE_FIELDS:
        value = amount(inputs, name)
        if value is not None:
            return value.quantize(CENT)
    return Decimal(rng.randrange(100, 500) * 10_000).quantize(CENT)

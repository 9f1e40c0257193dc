"""The realistic outputs a department's system issues on completion.

Names follow the published catalog (contracts/catalog/*.yaml) so ``$outputs.<subtask>.<name>``
mappings resolve, plus the department's generic names (e.g. nrb ``certificate_number`` and
``real_estate_certificate_number`` carry the same number). Every value is a string; amounts
are decimal strings with two places; dates are ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from services.legacy_sim.domain.amounts import money, price
from services.legacy_sim.domain.decisions import FilingRequest
from services.legacy_sim.domain.numbers import digits
from services.legacy_sim.domain.registry_outputs import amr, psb
from services.legacy_sim.domain.tax_outputs import tax

OutputRule = Callable[[random.Random, FilingRequest, date], dict[str, str]]

_UTILITY_PREFIX = {"water": "W", "power": "33", "gas": "G"}


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
        "filed_price": money(price(rng, request.inputs)),
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
    "amr": amr,
    "tax": tax,
    "nrb": _nrb,
    "hcd": _hcd,
    "hrss": _hrss,
    "mia": _mia,
    "psb": psb,
    "hhc": lambda rng, request, today: {"birth_certificate_number": f"Q{digits(rng, 9)}"},
    "hpf": lambda rng, request, today: {"provident_fund_account": f"1001{digits(rng, 8)}"},
    **{dept: _utility(dept) for dept in _UTILITY_PREFIX},
}


def issue_outputs(rng: random.Random, request: FilingRequest, today: date) -> dict[str, str]:
    rule = OUTPUT_RULES.get(request.department)
    if rule is None:
        return {"reference_number": digits(rng, 12)}
    return rule(rng, request, today)

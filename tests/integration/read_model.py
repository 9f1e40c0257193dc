"""The read model as the tests compare it: every table's rows of some applications, and the
outputs the departments' answers carry in the tests' stories."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from eventlog.store import Connection
from services.intake.adapters.rebuild import READ_MODEL_TABLES

OUTPUTS = {
    "amr-licence": {
        "credit_code": "91330106MA2B3C4D5E",
        "licence_number": "330106000123456",
        "company_name": "杭州一窗科技有限公司",
        "established_on": "2024-11-05",
    },
    "psb-seal": {"seal_filing_number": "3301062024110500017"},
    "tax-invoice": {"tax_registration_number": "91330106MA2B3C4D5E", "invoice_quota": 100000},
    "hrss-social-insurance": {"social_insurance_number": "33010620241105001"},
    "hpf-provident-fund": {"provident_fund_account": "330100123456789"},
}


async def snapshot(db: asyncpg.Pool | Connection, apps: set[UUID]) -> dict[str, Any]:
    """Every read-model table's rows about `apps`, in a stable order."""
    tables = {}
    for table in READ_MODEL_TABLES:
        rows = await db.fetch(f"SELECT * FROM {table} WHERE application_id = ANY($1)", list(apps))
        tables[table] = sorted((dict(r) for r in rows), key=repr)
    return tables

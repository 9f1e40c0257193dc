"""The registers OneWindow reads through the provincial data-sharing platform (数据共享平台):
each dataset, what its records are keyed by, and the fields a record may carry.

The catalog names a dataset as a material's source (`shared:<dataset>`) and maps its fields
into sub-tasks' inputs (`$shared.<material>.<field>`); both are checked against this list when
the catalog loads. A department that plugs in a register of its own adds its dataset here
(docs/data-sharing.md).
"""

from __future__ import annotations

from dataclasses import dataclass

# A batch lookup names at most this many keys (the platform's protocol).
MAX_KEYS = 50
# The purpose of a lookup that serves the whole application rather than one sub-task.
WHOLE_APPLICATION = "*intake"


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    key: str
    fields: tuple[str, ...]


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "population",
            "人口基础信息库",
            "resident ID number",
            ("name", "gender", "birth_date", "household_address", "ethnicity"),
        ),
        Dataset(
            "business-registry",
            "市场主体登记信息库",
            "unified social credit code",
            (
                "name",
                "legal_representative",
                "registered_capital",
                "status",
                "established",
                "address",
                "business_scope",
            ),
        ),
        Dataset(
            "tax-filings",
            "纳税申报信息库",
            "unified social credit code",
            ("tax_status", "last_period", "arrears", "balance_sheet_total_assets"),
        ),
        Dataset(
            "property-register",
            "不动产登记信息库",
            "real-estate certificate number",
            ("owners", "address", "area", "use", "encumbrances"),
        ),
        Dataset(
            "housing-contracts",
            "商品房网签备案信息库",
            "contract number or certificate number",
            ("contract_number", "sellers", "buyers", "price", "signed_on"),
        ),
        Dataset(
            "marriage-registry",
            "婚姻登记信息库",
            "resident ID number",
            ("status", "spouse_name", "spouse_id_number", "registered_on"),
        ),
        Dataset(
            "birth-medical-record",
            "出生医学信息库",
            "the mother's resident ID number",
            ("child_name", "birth_date", "birth_place", "hospital", "mother_name", "father_name"),
        ),
    )
}

"""What the notifier knows of an application from its submission: enough to write to the
applicant when an event (a clock's warning) names only the application id."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.catalog import Catalog, UnknownMatter
from contracts.events import ApplicationSubmitted, Delivery


@dataclass(frozen=True)
class KnownApplication:
    receipt_number: str
    matter: str
    matter_name: str
    applicant_name: str
    delivery: Delivery
    materials_owed: tuple[str, ...] = ()  # codes accepted as deficient (容缺), not yet handed in


def known_application(submitted: ApplicationSubmitted, catalog: Catalog) -> KnownApplication:
    return KnownApplication(
        receipt_number=submitted.receipt_number,
        matter=submitted.matter,
        matter_name=matter_name(catalog, submitted.matter),
        applicant_name=str(submitted.applicant.get("name") or "申请人"),
        delivery=submitted.delivery,
        materials_owed=submitted.deferred_materials,
    )


def matter_name(catalog: Catalog, matter: str) -> str:
    """The matter's Chinese name; its code when the catalog does not know it."""
    try:
        return catalog.matter(matter).name
    except UnknownMatter:
        return matter


def material_names(catalog: Catalog, matter: str, codes: tuple[str, ...]) -> list[str]:
    """The Chinese names of `codes` in the catalog's order of mention; a code the catalog
    does not know is shown as it is."""
    try:
        listed = {m.code: m.name for m in catalog.matter(matter).materials}
    except UnknownMatter:
        listed = {}
    return [listed.get(code, code) for code in codes]


def subtask_title(catalog: Catalog, matter: str | None, code: str) -> str | None:
    if matter is None or matter not in catalog.matters:
        return None
    return next((s.title for s in catalog.matters[matter].subtasks if s.code == code), None)

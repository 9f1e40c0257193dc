"""The catalog: every matter's guide (办事指南). Public: the guide is published information."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.catalog import Catalog, UnknownMatter
from services.intake.domain.errors import MatterNotFound
from services.intake.domain.guide import guide_of, summary_of
from services.intake.domain.views import MatterGuide, MatterSummary
from services.intake.entrypoints.errors import ERROR_RESPONSES
from services.intake.entrypoints.guard import PublicRoute


def catalog_routes(catalog: Catalog) -> APIRouter:
    router = APIRouter(
        prefix="/v1/matters",
        tags=["catalog"],
        route_class=PublicRoute,
        responses={404: ERROR_RESPONSES[404]},
    )

    @router.get("", summary="Every matter one can apply for", operation_id="ListMatters")
    async def matters() -> list[MatterSummary]:
        return [summary_of(m) for m in catalog.matters.values()]

    @router.get(
        "/{code}",
        summary="The guide of one matter: form, materials, departments",
        operation_id="GetMatter",
    )
    async def matter(code: str) -> MatterGuide:
        try:
            return guide_of(catalog.matter(code))
        except UnknownMatter as exc:
            raise MatterNotFound(code, exc.valid_codes) from None

    return router

"""Statistics of the reform's measures (clerks only): docs/statistics.md."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from contracts.catalog import UnknownMatter
from services.intake import handlers
from services.intake.adapters.statistics import statistics
from services.intake.domain.stats_report import StatsReport
from services.intake.entrypoints.clerks import CurrentClerk
from services.intake.entrypoints.errors import ERROR_RESPONSES, HttpRefusal
from services.intake.entrypoints.guard import ClientRoute, Pool, bearer


def stats_routes(rules: handlers.Rules) -> APIRouter:
    router = APIRouter(
        prefix="/v1/stats",
        tags=["statistics"],
        route_class=ClientRoute,
        dependencies=[Depends(bearer)],
        responses=ERROR_RESPONSES,
    )

    @router.get("", summary="Measures of applications decided from one day to another")
    async def stats(
        clerk: CurrentClerk,
        pool: Pool,
        first: Annotated[date, Query(alias="from", description="First local day, YYYY-MM-DD")],
        last: Annotated[date, Query(alias="to", description="Last local day, inclusive")],
        matter: Annotated[str | None, Query(max_length=100)] = None,
    ) -> StatsReport:
        if last < first:
            raise HttpRefusal(400, "bad_request", f"to ({last}) is before from ({first})",
                              {"field": "to"})  # fmt: skip
        if matter is not None:
            try:
                rules.catalog.matter(matter)
            except UnknownMatter as exc:
                details = {"field": "matter", "valid_codes": exc.valid_codes}
                raise HttpRefusal(400, "bad_request", f"matter: {exc}", details) from None
        return await statistics(pool, rules.catalog, rules.calendar, (first, last), matter)

    return router

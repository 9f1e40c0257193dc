"""Statistics of the reform's measures (clerks only): docs/statistics.md."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic.json_schema import SkipJsonSchema

from contracts.catalog import UnknownMatter
from services.intake import handlers
from services.intake.adapters.statistics import statistics
from services.intake.domain.stats_report import StatsReport
from services.intake.entrypoints.clerks import CurrentClerk
from services.intake.entrypoints.errors import ERROR_RESPONSES, HttpRefusal
from services.intake.entrypoints.guard import ClientRoute, Pool, bearer
from services.intake.entrypoints.parameters import Day


def stats_routes(rules: handlers.Rules) -> APIRouter:
    codes = sorted(rules.catalog.matters)
    router = APIRouter(
        prefix="/v1/stats",
        tags=["statistics"],
        route_class=ClientRoute,
        dependencies=[Depends(bearer)],
        responses=ERROR_RESPONSES,
    )

    @router.get(
        "",
        summary="Measures of applications decided from one day to another",
        operation_id="GetStatistics",
    )
    async def stats(
        clerk: CurrentClerk,
        pool: Pool,
        first: Annotated[Day, Query(alias="from", description="First local day, YYYY-MM-DD")],
        last: Annotated[Day, Query(alias="to", description="Last local day, inclusive")],
        # The codes are the catalog's, known only here: a default, as an annotation can't see them
        matter: str | SkipJsonSchema[None] = Query(  # noqa: B008
            None, description="Only this matter", json_schema_extra={"enum": codes}
        ),
    ) -> StatsReport:
        if last < first:
            raise HttpRefusal(
                400, "bad_request", f"to ({last}) is before from ({first})", {"field": "to"}
            )
        if matter is not None:
            try:
                rules.catalog.matter(matter)
            except UnknownMatter as exc:
                details = {"field": "matter", "valid_codes": exc.valid_codes}
                raise HttpRefusal(400, "bad_request", f"matter: {exc}", details) from None
        return await statistics(pool, rules.catalog, rules.calendar, (first, last), matter)

    return router

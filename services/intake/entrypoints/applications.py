"""Applications: submit, see, list, supplement, withdraw, hand in deferred materials,
collect the result, evaluate. A client sees only its own; a clerk all."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic.json_schema import SkipJsonSchema

from contracts.catalog import UnknownMatter
from contracts.commands import (
    CollectResult,
    EvaluateApplication,
    HandInMaterials,
    SubmitApplication,
    SubmitSupplement,
    WithdrawApplication,
)
from services.intake import handlers
from services.intake.adapters.commands import OpenCommands
from services.intake.adapters.data_access import ledger, record_reads
from services.intake.adapters.listing import list_applications
from services.intake.adapters.queries import application_owner, application_view
from services.intake.domain.errors import ApplicationNotFound
from services.intake.domain.periods import period_end, period_start
from services.intake.domain.progress import ApplicationStatus
from services.intake.domain.views import (
    ApplicationPage,
    ApplicationView,
    DataAccessLedger,
    RequestAccepted,
    SubmissionAccepted,
)
from services.intake.entrypoints.errors import ERROR_RESPONSES, HttpRefusal
from services.intake.entrypoints.guard import BodySha256, ClientRoute, CurrentCaller, Pool, bearer
from services.intake.entrypoints.parameters import Limit, Offset, PeriodBound, Text

T = TypeVar("T")
_FROM = "From this day (UTC) or instant on: a date, or an RFC 3339 date-time with its offset"
_TO = "Up to this day (UTC, the whole day) or instant, inclusive: as submitted_from"
# OpenAPI links: what a client (or a stateful test) can do next with the application it filed.
_FOLLOW_UPS = {
    operation: {
        "operationId": operation,
        "parameters": {"application_id": "$response.body#/application_id"},
    }
    for operation in ("GetApplication", "SubmitSupplement", "WithdrawApplication",
                      "HandInMaterials", "CollectResult", "EvaluateApplication")
}  # fmt: skip
IdempotencyKey = Annotated[
    str,
    Header(alias="Idempotency-Key", min_length=1, max_length=200, description="One submission"),
]


def application_routes(rules: handlers.Rules, commands: OpenCommands) -> APIRouter:
    router = APIRouter(
        prefix="/v1/applications",
        tags=["applications"],
        route_class=ClientRoute,
        dependencies=[Depends(bearer)],
        responses=ERROR_RESPONSES,
    )

    def order_of(matter: str) -> list[str]:
        try:
            return [s.code for s in rules.catalog.matter(matter).subtasks]
        except UnknownMatter:
            return []

    @router.post(
        "",
        status_code=202,
        summary="File one application (idempotent by key)",
        operation_id="SubmitApplication",
        responses={202: {"links": _FOLLOW_UPS}},
    )
    async def submit(
        body: SubmitApplication,
        key: IdempotencyKey,
        caller: CurrentCaller,
        body_sha256: BodySha256,
        pool: Pool,
        response: Response,
    ) -> SubmissionAccepted:
        accepted = await handlers.submit(commands(pool), rules, caller, key, body, body_sha256)
        response.headers["Location"] = accepted.status_url
        return accepted

    @router.get(
        "",
        summary="Applications: a clerk's are all, a client's its own",
        operation_id="ListApplications",
    )
    async def applications(
        caller: CurrentCaller,
        pool: Pool,
        matter: Text = None,
        status: ApplicationStatus | SkipJsonSchema[None] = None,
        submitted_from: Annotated[PeriodBound, Query(description=_FROM)] = None,
        submitted_to: Annotated[PeriodBound, Query(description=_TO)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ApplicationPage:
        start = _bound("submitted_from", submitted_from, period_start)
        end, inclusive = _bound("submitted_to", submitted_to, period_end) or (None, True)
        page = await list_applications(
            pool, caller, matter=matter, status=status, submitted_from=start,
            submitted_to=end, to_inclusive=inclusive, limit=limit, offset=offset,
        )  # fmt: skip
        if caller.sees_all:
            listed = [a.application_id for a in page.items]
            await record_reads(pool, listed, rules.clock.now(), "clerk", caller.client_id,
                               "application list", "GET /v1/applications")  # fmt: skip
        return page

    @router.get(
        "/{application_id}",
        summary="Status, sub-tasks, outcome and timeline",
        operation_id="GetApplication",
    )
    async def application(
        application_id: UUID, caller: CurrentCaller, pool: Pool
    ) -> ApplicationView:
        reading = application_view(pool, caller, application_id, order_of)
        if caller.sees_all:  # the ledger's row is written beside the read, not after it
            view, _ = await asyncio.gather(
                reading,
                record_reads(pool, [application_id], rules.clock.now(), "clerk",
                             caller.client_id, "application", "GET /v1/applications/{id}"),
            )  # fmt: skip
        else:
            view = await reading
        if view is None:
            raise ApplicationNotFound(application_id)
        return view

    @router.get(
        "/{application_id}/data-access",
        summary="Every access to its personal data",
        operation_id="GetDataAccess",
    )
    async def data_access(
        application_id: UUID, caller: CurrentCaller, pool: Pool
    ) -> DataAccessLedger:
        found, owner = await application_owner(pool, application_id)
        if not found or not caller.may_see(owner):
            raise ApplicationNotFound(application_id)
        return DataAccessLedger(
            application_id=application_id, entries=await ledger(pool, application_id)
        )

    @router.post(
        "/{application_id}/supplements",
        status_code=202,
        summary="Answer a notice",
        operation_id="SubmitSupplement",
    )
    async def supplement(
        application_id: UUID, body: SubmitSupplement, caller: CurrentCaller, pool: Pool
    ) -> RequestAccepted:
        return await handlers.supplement(commands(pool), rules, caller, application_id, body)

    @router.post(
        "/{application_id}/withdraw",
        status_code=202,
        summary="Withdraw it",
        operation_id="WithdrawApplication",
    )
    async def withdraw(
        application_id: UUID, body: WithdrawApplication, caller: CurrentCaller, pool: Pool
    ) -> RequestAccepted:
        return await handlers.withdraw(commands(pool), rules, caller, application_id, body)

    @router.post(
        "/{application_id}/materials",
        status_code=202,
        summary="Hand in deferred ones",
        operation_id="HandInMaterials",
    )
    async def materials(
        application_id: UUID, body: HandInMaterials, caller: CurrentCaller, pool: Pool
    ) -> RequestAccepted:
        return await handlers.hand_in(commands(pool), rules, caller, application_id, body)

    @router.post(
        "/{application_id}/collection",
        status_code=202,
        summary="Result picked up or sent",
        operation_id="CollectResult",
    )
    async def collection(
        application_id: UUID, body: CollectResult, caller: CurrentCaller, pool: Pool
    ) -> RequestAccepted:
        return await handlers.collect(commands(pool), rules, caller, application_id, body)

    @router.post(
        "/{application_id}/evaluation",
        status_code=202,
        summary="Rate it, once",
        operation_id="EvaluateApplication",
    )
    async def evaluation(
        application_id: UUID, body: EvaluateApplication, caller: CurrentCaller, pool: Pool
    ) -> RequestAccepted:
        return await handlers.evaluate(commands(pool), rules, caller, application_id, body)

    return router


def _bound(field: str, text: str | None, parse: Callable[[str], T]) -> T | None:
    try:
        return None if text is None else parse(text)
    except ValueError as exc:
        raise HttpRefusal(400, "bad_request", f"{field}: {exc}", {"field": field}) from None

"""Follow-up cases of low ratings (差评整改): clerks list them and close them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic.json_schema import SkipJsonSchema

from contracts.commands import CloseFollowUp
from services.intake import handlers
from services.intake.adapters.commands import OpenCommands
from services.intake.adapters.follow_ups import list_follow_ups
from services.intake.domain.aftercare import FollowUpPage, FollowUpState
from services.intake.domain.views import RequestAccepted
from services.intake.entrypoints.clerks import CurrentClerk
from services.intake.entrypoints.errors import ERROR_RESPONSES
from services.intake.entrypoints.guard import ClientRoute, Pool, bearer
from services.intake.entrypoints.parameters import Limit, Offset

CaseId = Annotated[str, Path(min_length=1, max_length=200)]


def follow_up_routes(rules: handlers.Rules, commands: OpenCommands) -> APIRouter:
    router = APIRouter(
        prefix="/v1/follow-ups",
        tags=["follow-ups"],
        route_class=ClientRoute,
        dependencies=[Depends(bearer)],
        responses=ERROR_RESPONSES,
    )

    @router.get(
        "", summary="Follow-up cases, oldest first (clerks only)", operation_id="ListFollowUps"
    )
    async def follow_ups(
        clerk: CurrentClerk,
        pool: Pool,
        state: FollowUpState | SkipJsonSchema[None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> FollowUpPage:
        return await list_follow_ups(pool, state, limit, offset)

    @router.post(
        "/{case_id}/close",
        status_code=202,
        summary="Close a case with a response",
        operation_id="CloseFollowUp",
    )
    async def close(
        case_id: CaseId, body: CloseFollowUp, clerk: CurrentClerk, pool: Pool
    ) -> RequestAccepted:
        return await handlers.close_follow_up(commands(pool), rules, clerk, case_id, body)

    return router

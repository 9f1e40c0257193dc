"""Routes only hall staff may use: follow-up cases and statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.intake.domain.callers import Caller
from services.intake.domain.errors import KindNotAllowed
from services.intake.entrypoints.guard import CurrentCaller


async def _clerk(caller: CurrentCaller) -> Caller:
    if not caller.sees_all:
        raise KindNotAllowed(caller.kind, ("clerk",), "使用此接口")
    return caller


CurrentClerk = Annotated[Caller, Depends(_clerk)]

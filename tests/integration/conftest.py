"""intake started once per test module that asks for it, an HTTP client to it over ASGI, and
API keys of new clients. A module needing other settings defines its own `intake`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest

from runtime.service import Service
from services.intake.adapters import issue_api_key
from tests.integration.in_process import Keyed, client_of, intake_on, running


@pytest.fixture(scope="module")
async def intake(stack) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    async with running(intake_on(stack)) as service:
        yield service


@pytest.fixture(scope="module")
async def http(intake: Service) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(intake) as client:
        yield client


@pytest.fixture
def keyed(intake: Service) -> Keyed:
    """Authorization headers with the key of a new client of the given kind."""

    async def headers(kind: str) -> dict[str, str]:
        key = await issue_api_key(intake.pool, f"{kind}-{uuid4().hex[:8]}", kind)
        return {"Authorization": f"Bearer {key}"}

    return headers

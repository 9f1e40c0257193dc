"""The ops console (/ops): server-rendered HTML for operations staff, behind HTTP Basic auth
(user `ops`, password ONEWINDOW_OPS_PASSWORD). Without a password it is not served at all."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable, Coroutine, Sequence
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from contracts.catalog import Catalog, UnknownMatter
from runtime.clock import Clock
from services.intake.adapters.data_access import record_reads
from services.intake.adapters.ops.queries import backlogs, clock_alerts, in_flight
from services.intake.adapters.ops.timeline import adapter_health, application_detail
from services.intake.entrypoints.guard import Pool
from services.intake.entrypoints.ops.pages import application_page, message, overview
from services.intake.settings import IntakeSettings

log = structlog.get_logger()
USER = "ops"
REALM = 'Basic realm="OneWindow ops", charset="UTF-8"'


class OpsRefusal(Exception):
    def __init__(
        self, status: int, title: str, explanation: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(explanation)
        self.status, self.title, self.explanation = status, title, explanation
        self.headers = headers or {}


def ops_routes(settings: IntakeSettings, catalog: Catalog, clock: Clock) -> APIRouter:
    password = settings.ops_password.get_secret_value()

    def order_of(matter: str | None) -> Sequence[str]:
        try:
            return [s.code for s in catalog.matter(matter or "").subtasks]
        except UnknownMatter:
            return []

    class OpsRoute(APIRoute):
        """Refusals and failures as HTML pages, never a stack trace or JSON."""

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handle = super().get_route_handler()

            async def guarded(request: Request) -> Response:
                try:
                    return await handle(request)
                except OpsRefusal as exc:
                    page = message(exc.status, exc.title, exc.explanation, clock.now())
                    page.headers.update(exc.headers)
                    return page
                except RequestValidationError:
                    return message(404, "Not found", "No such application.", clock.now())
                except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
                    log.warning("database unavailable", error=f"{type(exc).__name__}: {exc}")
                    return message(
                        503,
                        "Unavailable",
                        "The database does not answer; try again shortly.",
                        clock.now(),
                    )
                except Exception:
                    log.exception("ops page failed", path=request.url.path)
                    return message(500, "Internal error", "See intake's log.", clock.now())

            return guarded

    async def ops_staff(request: Request) -> None:
        if not password:
            raise OpsRefusal(
                503,
                "Ops console off",
                "The ops console is off: set ONEWINDOW_OPS_PASSWORD for intake to turn it on.",
            )
        if not _basic_auth_matches(request.headers.get("authorization", ""), password):
            raise OpsRefusal(
                401,
                "Sign in",
                "Ops staff only: sign in as user 'ops'.",
                {"WWW-Authenticate": REALM},
            )

    router = APIRouter(
        prefix="/ops",
        route_class=OpsRoute,
        include_in_schema=False,
        dependencies=[Depends(ops_staff)],
    )

    @router.get("")
    async def console(pool: Pool) -> Response:
        now = clock.now()
        applications, total = await in_flight(pool, order_of)
        alerts = await clock_alerts(pool)
        backlog = await backlogs(pool, now)
        health = await adapter_health(settings.adapter_url, settings.adapter_timeout_seconds)
        return overview(applications, total, alerts, backlog, health, now)

    @router.get("/applications/{application_id}")
    async def application(application_id: UUID, pool: Pool) -> Response:
        detail, unread = await application_detail(
            pool, settings.log_schemas, application_id, order_of
        )
        if detail is None:
            raise OpsRefusal(404, "Not found", f"No application {application_id}.")
        await record_reads(pool, [application_id], clock.now(), "ops", USER,
                           "application page", "ops console /ops/applications/{id}")  # fmt: skip
        return application_page(detail, unread, clock.now())

    @router.get("/{rest:path}")
    async def nothing_here(rest: str) -> Response:
        if not rest:
            return RedirectResponse("/ops", status_code=308)
        raise OpsRefusal(404, "Not found", f"Nothing at /ops/{rest}.")

    return router


def _basic_auth_matches(header: str, password: str) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, given = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    # both compared in full, so neither the user nor the password shows through timing
    user_ok = secrets.compare_digest(user.encode(), USER.encode())
    return secrets.compare_digest(given.encode(), password.encode()) and user_ok

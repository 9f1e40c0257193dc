"""Every route's guard: authentication, body checks, and errors as {code, message, details}.

A route class (not app-level handlers: the runtime owns the app) wraps each route: it
authenticates (401), has the request's text and body checked (inputs.py: 400, 413, 415,
422), and turns every refusal and FastAPI's validation errors into the one error format.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, ClassVar

import asyncpg
import structlog
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from contracts.catalog import UnknownMatter
from contracts.values import printable
from eventlog.store import DATABASE_AWAY, ConcurrencyConflict
from services.intake.adapters.api_keys import KnownCallers
from services.intake.domain.callers import Caller
from services.intake.domain.errors import Refusal
from services.intake.entrypoints.errors import (
    HttpRefusal,
    error_response,
    refusal_response,
    validation_response,
)
from services.intake.entrypoints.inputs import check_request_text, read_json

log = structlog.get_logger()
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
KNOWN_CALLERS = KnownCallers()
bearer = HTTPBearer(auto_error=False, description="An API key issued by `onewindow api-key`.")


class PublicRoute(APIRoute):
    authenticated: ClassVar[bool] = False

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        authenticated = self.authenticated

        async def guarded(request: Request) -> Response:
            try:
                if authenticated:
                    request.state.caller = await _authenticate(request)
                check_request_text(request)
                if request.method in ("POST", "PUT", "PATCH"):
                    await read_json(request)
                return await handle(request)
            except RequestValidationError as exc:
                return validation_response(exc)
            except Refusal as exc:
                return refusal_response(exc)
            except UnknownMatter as exc:
                return error_response(
                    422, "unknown_matter", str(exc), {"valid_codes": exc.valid_codes}
                )
            except ConcurrencyConflict as exc:
                return error_response(409, "conflict", f"请重试 / try again: {exc}")
            except HTTPException as exc:
                return error_response(exc.status_code, "bad_request", str(exc.detail))
            except DATABASE_AWAY as exc:
                log.warning("database unavailable", error=f"{type(exc).__name__}: {exc}")
                return error_response(
                    503,
                    "unavailable",
                    "暂时无法服务 / try again shortly",
                    None,
                    {"Retry-After": "2"},
                )
            except Exception:
                log.exception("request failed", path=request.url.path)
                return error_response(500, "internal_error", "内部错误 / internal error")

        return guarded


class ClientRoute(PublicRoute):
    authenticated = True


async def _authenticate(request: Request) -> Caller:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    caller = None
    if scheme.lower() == "bearer" and key.strip():
        caller = await KNOWN_CALLERS.find(request.app.state.service.pool, key.strip())
    if caller is None:
        raise HttpRefusal(
            401,
            "unauthenticated",
            "需要有效的 API 密钥 / a valid API key is needed: Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return caller


async def _caller(request: Request) -> Caller:
    caller: Caller = request.state.caller
    return caller


async def _body_sha256(request: Request) -> str:
    digest: str = request.state.body_sha256
    return digest


async def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.service.pool
    return pool


CurrentCaller = Annotated[Caller, Depends(_caller)]
BodySha256 = Annotated[str, Depends(_body_sha256)]
Pool = Annotated[asyncpg.Pool, Depends(_pool)]


def fallback_routes(*known: APIRouter) -> APIRouter:
    """Unknown paths under /v1 answer 404; a path of a `known` router with another method, 405
    with `Allow` listing the methods the path does accept."""
    router = APIRouter(prefix="/v1", include_in_schema=False)
    routes = [r for k in known for r in k.routes if isinstance(r, APIRoute)]

    @router.api_route("/{rest:path}", methods=list(HTTP_METHODS))
    async def nothing_here(request: Request) -> Response:
        path = request.url.path
        allowed = sorted(
            {m for r in routes if r.path_regex.fullmatch(path) for m in r.methods or ()}
        )
        if allowed:
            return error_response(
                405, "method_not_allowed", f"{request.method} {path}",
                {"allowed_methods": allowed}, headers={"Allow": ", ".join(allowed)},
            )  # fmt: skip
        return error_response(404, "not_found", f"没有这个接口 / no endpoint {printable(path)}")

    return router

"""A webhook receiver standing in for an applicant's system: it checks the notifier's
HMAC-SHA256 signature and keeps what arrived. The demo and the end-to-end tests use it."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response

from onewindow.embedded.ports import free_port
from onewindow.serving import serving


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    signature_valid: bool
    received_at: float = field(default_factory=time.monotonic)


@dataclass
class WebhookReceiver:
    secret: str
    port: int = field(default_factory=free_port)
    deliveries: list[Delivery] = field(default_factory=list)
    fail_next: int = 0  # answer 500 to this many requests first, to exercise retries

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def received(self, path: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.path == "/" + path.lstrip("/")]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path:path}")
        async def receive(path: str, request: Request) -> Response:
            if self.fail_next > 0:
                self.fail_next -= 1
                return Response(status_code=500)
            raw = await request.body()
            expected = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
            given = request.headers.get("x-onewindow-signature", "")
            self.deliveries.append(
                Delivery(
                    path="/" + path,
                    headers=dict(request.headers),
                    body=json.loads(raw),
                    signature_valid=hmac.compare_digest(expected, given),
                )
            )
            return Response(status_code=204)

        return app

    @asynccontextmanager
    async def running(self) -> AsyncIterator[WebhookReceiver]:
        async with serving(self.app(), self.port, lifespan="off"):
            yield self

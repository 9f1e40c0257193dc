"""What the notifier's integration tests share: real receivers on local sockets (a webhook
and an SMS gateway under uvicorn, an SMTP server), the notifier's schema and settings pointing at
them, its delivery workers, and its handlers run through the inbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request, Response
from pydantic import SecretStr

from contracts.catalog import load_catalog
from contracts.envelope import Envelope
from eventlog.inbox import Inbox
from eventlog.migrate import migrate_async
from eventlog.store import EventStore
from onewindow.embedded.ports import free_port
from onewindow.serving import serving
from runtime.consumer import by_event_type
from services.notifier.adapters.webhook_targets import Resolver
from services.notifier.bootstrap import MIGRATIONS, build, delivery_workers
from services.notifier.handlers import outcome_handlers
from services.notifier.settings import NotifierSettings
from tests.conftest import Stack
from tests.notices import outcome

HANDLERS = outcome_handlers(load_catalog())
SECRET = b"notifier-integration-secret"
API_KEY = "sms-integration-key"


class Receivers:
    """A webhook endpoint per name answering a scripted list of statuses (then 200), and an
    SMS gateway; both keep every request."""

    def __init__(self) -> None:
        self.script: dict[str, list[int]] = {}
        self.hooks: list[tuple[str, bytes, dict[str, str]]] = []
        self.texts: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.held: dict[str, tuple[asyncio.Event, asyncio.Event]] = {}  # arrived, answer
        self.app = FastAPI()
        self.app.post("/hook/{name}")(self.hook)
        self.app.post("/sms/messages")(self.sms)

    async def hook(self, name: str, request: Request) -> Response:
        self.hooks.append((name, await request.body(), dict(request.headers)))
        if name in self.held:
            arrived, answer = self.held[name]
            arrived.set()
            await answer.wait()
        statuses = self.script.get(name, [])
        status = statuses.pop(0) if statuses else 200
        moved = {"Location": f"/hook/{name}-moved"} if 300 <= status < 400 else None
        return Response(status_code=status, headers=moved)

    async def sms(self, request: Request) -> Response:
        if request.headers.get("x-api-key") != API_KEY:
            return Response(status_code=401)
        self.texts.append((await request.json(), dict(request.headers)))
        answer = {"message_id": f"SMS-{len(self.texts)}"}
        return Response(json.dumps(answer), media_type="application/json")

    def hold(self, name: str) -> tuple[asyncio.Event, asyncio.Event]:
        """Sends to `name` wait for the second event; the first is set when one arrives."""
        self.held[name] = (asyncio.Event(), asyncio.Event())
        return self.held[name]

    def calls(self, name: str) -> list[tuple[bytes, dict[str, str]]]:
        return [(body, headers) for n, body, headers in self.hooks if n == name]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
async def notices(stack: Stack, schema_name: str, pool: asyncpg.Pool) -> asyncpg.Pool:
    await migrate_async(stack.database_url, schema_name, extra=[MIGRATIONS])
    return pool


@pytest.fixture
async def receivers() -> AsyncIterator[tuple[Receivers, str]]:
    receivers = Receivers()
    async with serving(receivers.app) as url:
        yield receivers, url


@pytest.fixture
def mailbox() -> Any:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield mailbox, controller.port
    controller.stop()


def settings(
    base_url: str = "http://127.0.0.1:9", smtp_port: int = 9, allow: str | None = None
) -> NotifierSettings:
    """Applicants' webhooks may reach the receivers at `base_url` unless `allow` says else."""
    return NotifierSettings(
        webhook_allow=urlsplit(base_url).netloc if allow is None else allow,
        webhook_secret=SecretStr(SECRET.decode()),
        smtp_port=smtp_port,
        sms_gateway_url=f"{base_url}/sms/messages",
        sms_api_key=SecretStr(API_KEY),
        delivery_max_attempts=3,
        delivery_backoff_seconds=0.01,
        delivery_backoff_max_seconds=0.05,
        delivery_timeout_seconds=5,
        delivery_rescan_seconds=60,  # so a delivery in these tests follows the wake-up
    )


@asynccontextmanager
async def delivering(
    pool: asyncpg.Pool, notifier: NotifierSettings, resolver: Resolver | None = None
) -> AsyncIterator[None]:
    """The service's own delivery workers, as bootstrap wires them, on this test's pool."""
    service = build(notifier)
    service.pool = pool
    stop = asyncio.Event()
    task = asyncio.create_task(delivery_workers(notifier, resolver)(service, stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def handle(pool: asyncpg.Pool, envelope: Envelope) -> int:
    fresh, rejected = await Inbox(pool, "notifier.delivery").process(
        [envelope], by_event_type(HANDLERS)
    )
    assert rejected == []
    return fresh


async def recorded(pool: asyncpg.Pool, stream: str) -> list[Envelope]:
    """The notice stream once its delivery is recorded (a time-out fails the test)."""
    async with asyncio.timeout(15):
        while len(events := await EventStore(pool).read(stream)) < 2:
            await asyncio.sleep(0.02)
    return [e.envelope for e in events]


def decided(application_id: UUID, decision: str = "approved", **fields: Any) -> Envelope:
    made = outcome(decision, **fields)
    return Envelope.new(made, application_id=application_id, producer="router")

"""The notifier against the real PostgreSQL and real receivers on local sockets: a webhook
and an SMS gateway (FastAPI under uvicorn) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import asyncpg
from uuid6 import uuid7

from contracts.envelope import Envelope
from eventlog.inbox import Inbox
from eventlog.store import EventStore
from runtime.consumer import by_event_type
from services.notifier.adapters.notice_log import NoticeLog
from services.notifier.bootstrap import build, delivery_workers
from tests.integration.notifier_support import (
    HANDLERS,
    SECRET,
    Mailbox,
    Receivers,
    decided,
    delivering,
    handle,
    mailbox,
    notices,
    receivers,
    recorded,
    settings,
)
from tests.notices import CERTIFICATES, supplement

__all__ = ["mailbox", "notices", "receivers"]  # fixtures


def canonical_sha256(value: dict[str, Any]) -> str:
    body = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


async def test_an_approved_outcome_reaches_the_webhook_signed(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    hub, url = receivers
    app = uuid7()
    async with delivering(notices, settings(url)):
        assert await handle(notices, decided(app, address=f"{url}/hook/a")) == 1
        prepared, outcome_ = await recorded(notices, f"notice-{app}-outcome")

    [(body, headers)] = hub.calls("a")
    expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    assert headers["x-onewindow-signature"] == f"sha256={expected}"
    assert headers["x-onewindow-delivery"] == f"notice-{app}-outcome"
    assert headers["x-onewindow-event"] == "result"
    sent = json.loads(body.decode("utf-8"))
    document = sent["document"]
    for certificate, issued in zip(document["certificates"], CERTIFICATES, strict=True):
        fields = {k: certificate[k] for k in ("department", "title", "number", "issued_at")}
        assert (fields["title"], fields["number"]) == (issued["title"], issued["number"])
        hashed = {"application_id": str(app), "receipt_number": "YW20250304000123", **fields}
        assert certificate["verification_hash"] == canonical_sha256(hashed)
    assert sent["result_hash"] == canonical_sha256(document)
    assert "营业执照" in sent["text"]
    assert (prepared.event_type, outcome_.event_type) == ("NoticePrepared", "NoticeDelivered")
    assert outcome_.causation_id == prepared.event_id
    assert outcome_.payload["attempts"] == 1 and outcome_.payload["receipt"] == "HTTP 200"
    assert outcome_.payload["recipient"] == "127.0.0.1"
    assert outcome_.payload["result_hash"] == sent["result_hash"]


async def test_the_same_outcome_again_sends_nothing_new(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    hub, url = receivers
    app, other = uuid7(), uuid7()
    first = decided(app, address=f"{url}/hook/once")
    async with delivering(notices, settings(url)):
        await handle(notices, first)
        await recorded(notices, f"notice-{app}-outcome")
        assert await handle(notices, first) == 0  # the inbox drops the redelivery
        assert await handle(notices, decided(app, address=f"{url}/hook/once")) == 1
        # A later notice, delivered, shows the worker had every chance to send a repeat.
        await handle(notices, decided(other, address=f"{url}/hook/later"))
        await recorded(notices, f"notice-{other}-outcome")

    assert len(hub.calls("once")) == 1 and len(hub.calls("later")) == 1
    assert len(await EventStore(notices).read(f"notice-{app}-outcome")) == 2


async def test_a_webhook_failing_twice_is_delivered_once_on_the_third_attempt(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    hub, url = receivers
    hub.script["flaky"] = [500, 500]
    app = uuid7()
    await handle(notices, decided(app, address=f"{url}/hook/flaky"))
    async with delivering(notices, settings(url)):  # found by the scan on start
        _, outcome_ = await recorded(notices, f"notice-{app}-outcome")

    assert outcome_.event_type == "NoticeDelivered" and outcome_.payload["attempts"] == 3
    calls = hub.calls("flaky")
    assert len(calls) == 3
    assert len({body for body, _ in calls}) == 1
    assert {h["x-onewindow-delivery"] for _, h in calls} == {f"notice-{app}-outcome"}


async def test_a_webhook_answering_400_ends_in_a_recorded_failure(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    hub, url = receivers
    hub.script["gone"] = [400]
    app = uuid7()
    async with delivering(notices, settings(url)):
        await handle(notices, decided(app, "rejected", address=f"{url}/hook/gone", reasons=[]))
        _, outcome_ = await recorded(notices, f"notice-{app}-outcome")

    assert outcome_.event_type == "NoticeDeliveryFailed"
    assert outcome_.payload["attempts"] == 1
    assert outcome_.payload["error"] == "webhook answered HTTP 400"
    assert outcome_.payload["notice"] == "rejection"
    assert len(hub.calls("gone")) == 1


async def test_the_result_arrives_by_mail_with_a_chinese_subject(
    notices: asyncpg.Pool, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    app = uuid7()
    async with delivering(notices, settings(smtp_port=port)):
        await handle(notices, decided(app, channel="email", address="chen@example.cn"))
        prepared, outcome_ = await recorded(notices, f"notice-{app}-outcome")

    [(recipients, message)] = box.messages
    assert recipients == ["chen@example.cn"]
    assert message["Subject"] == "【一网通办】企业开办已办结（受理编号：YW20250304000123）"
    assert message["Subject"] == prepared.payload["subject"]
    assert "一网通办" in str(message["From"])
    body = message.get_content()
    assert "《营业执照》" in body and "330100984437842" in body
    assert (
        outcome_.payload["receipt"]
        == message["Message-ID"]
        == f"<notice-{app}-outcome@onewindow.example.cn>"
    )
    assert outcome_.payload["recipient"] == "c***@example.cn"


async def test_one_supplement_mail_lists_both_departments(
    notices: asyncpg.Pool, mailbox: tuple[Mailbox, int]
) -> None:
    box, port = mailbox
    app = uuid7()
    issued = Envelope.new(supplement(), application_id=app, producer="router")
    async with delivering(notices, settings(smtp_port=port)):
        await handle(notices, issued)
        _, outcome_ = await recorded(notices, f"notice-{app}-S1")

    [(_, message)] = box.messages
    body = message.get_content()
    for expected in (
        "市场监督管理局",
        "公司章程",
        "住所使用证明",
        "住房公积金中心",
        "法定代表人身份证",
    ):
        assert expected in body
    assert outcome_.payload["notice"] == "supplement" and outcome_.payload["notice_key"] == "S1"


async def test_an_sms_goes_through_the_gateway(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    hub, url = receivers
    app = uuid7()
    async with delivering(notices, settings(url)):
        await handle(notices, decided(app, "withdrawn", channel="sms", address="+8613812341234"))
        prepared, outcome_ = await recorded(notices, f"notice-{app}-outcome")

    [(message, headers)] = hub.texts
    assert message == {
        "mobile": "13812341234",
        "content": prepared.payload["text"],
        "signature": "【一网通办】",
    }
    assert message["content"].startswith("【一网通办】陈明您好") and "已撤回" in message["content"]
    assert headers["x-onewindow-delivery"] == f"notice-{app}-outcome"
    assert outcome_.payload["receipt"] == "SMS-1"
    assert outcome_.payload["recipient"] == "138****1234"


async def test_two_workers_record_a_notice_once(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    hub, url = receivers
    apps = [uuid7() for _ in range(5)]
    for app in apps:
        await handle(notices, decided(app, address=f"{url}/hook/{app}"))
    async with delivering(notices, settings(url)), delivering(notices, settings(url)):
        for app in apps:
            await recorded(notices, f"notice-{app}-outcome")

    for app in apps:
        events = await EventStore(notices).read(f"notice-{app}-outcome")
        assert [e.envelope.event_type for e in events] == ["NoticePrepared", "NoticeDelivered"]
        assert len(hub.calls(str(app))) == 1  # the other worker skipped what this one claimed


async def test_an_invalid_outcome_is_refused_whole(notices: asyncpg.Pool) -> None:
    app = uuid7()
    good = decided(app)
    payload = {k: v for k, v in good.payload.items() if k != "delivery"}
    bad = Envelope.model_validate({**good.model_dump(), "payload": payload})
    fresh, rejected = await Inbox(notices, "notifier.delivery").process(
        [bad], by_event_type(HANDLERS)
    )
    assert fresh == 0
    [(envelope, reason)] = rejected
    assert envelope.event_id == bad.event_id and "delivery" in reason
    assert await EventStore(notices).read(f"notice-{app}-outcome") == []


async def claimed_elsewhere(pool: asyncpg.Pool, stream: str) -> bool:
    """Whether another session finds the notice claimed (it claims it, then lets go)."""
    async with pool.acquire() as conn:
        claims = NoticeLog(pool).claims(conn)
        if await claims.claim(stream):
            await claims.release(stream)
            return False
        return True


async def test_a_send_under_way_when_the_worker_stops_finishes_under_its_claim(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    hub, url = receivers
    arrived, answer = hub.hold("slow")
    app = uuid7()
    stream = f"notice-{app}-outcome"
    await handle(notices, decided(app, address=f"{url}/hook/slow"))
    service, stop = build(settings(url)), asyncio.Event()
    service.pool = notices
    worker = asyncio.create_task(delivery_workers(settings(url))(service, stop))
    try:
        async with asyncio.timeout(10):
            await arrived.wait()
        stop.set()
        await asyncio.sleep(0.3)
        assert not worker.done()  # it waits for the send
        assert await claimed_elsewhere(notices, stream)  # and another worker still skips it
    finally:
        stop.set()
        answer.set()
        async with asyncio.timeout(10):
            await worker

    events = await EventStore(notices).read(stream)
    assert [e.envelope.event_type for e in events] == ["NoticePrepared", "NoticeDelivered"]
    assert not await claimed_elsewhere(notices, stream)


async def test_a_listening_session_that_ends_gives_way_to_a_new_one_holding_new_claims(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str], schema_name: str
) -> None:
    hub, url = receivers
    arrived, answer = hub.hold("later")
    app = uuid7()
    stream = f"notice-{app}-outcome"
    listening = "SELECT pid FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()"
    channel = f'LISTEN "{schema_name}.events"'
    async with delivering(notices, settings(url)):
        async with asyncio.timeout(10):
            while not (pid := await notices.fetchval(listening, channel)):
                await asyncio.sleep(0.02)
        assert await notices.fetchval("SELECT pg_terminate_backend($1)", pid)
        await handle(notices, decided(app, address=f"{url}/hook/later"))
        try:
            async with asyncio.timeout(10):
                await arrived.wait()
            assert await claimed_elsewhere(notices, stream)
        finally:
            answer.set()
        _, outcome_ = await recorded(notices, stream)

    assert outcome_.event_type == "NoticeDelivered" and len(hub.calls("later")) == 1

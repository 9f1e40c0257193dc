"""Electronic supervision (电子监察), reminders, held and lapse notices against the real
PostgreSQL and real receivers on local sockets (webhook and SMS gateway under uvicorn, SMTP
by aiosmtpd), through the notifier's own inbox consumers and delivery workers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
import yaml
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr
from uuid6 import uuid7

from contracts.catalog import load_catalog
from contracts.departments import DEPARTMENTS
from contracts.envelope import Envelope, Event
from contracts.events import ApplicationSubmitted, Delivery, MaterialsHandedIn
from contracts.kafka import to_kafka
from contracts.topics import APPLICATIONS, NOTIFICATIONS, SUPERVISION
from eventlog.store import EventStore
from runtime.consumer import Consumer
from runtime.service import Service
from services.notifier.bootstrap import MIGRATIONS, consumers, delivery_workers, watchers
from services.notifier.settings import NotifierSettings
from tests.conftest import Stack
from tests.integration import notifier_support as delivery
from tests.notices import clock_event, held

notices, receivers, mailbox = delivery.notices, delivery.receivers, delivery.mailbox
CATALOG = load_catalog()
RECEIPT = "YW20250304000123"
OVERDUE_KEY = "clock:subtask:amr-licence:promised:exceeded:"
REMINDER_KEY = "clock:deficiency:deficiency:own:warned:applicant"
EMAIL = Delivery(channel="email", address="chen@example.cn")


def watched(tmp_path: Path, url: str, smtp_port: int = 9, allow: str = "") -> NotifierSettings:
    """Supervision by e-mail and webhook; amr's contact a webhook, the others e-mail. The
    operators' own webhooks (at 127.0.0.1) need no allow-list; `allow` is for applicants'."""
    contacts = {code: f"dzjc@{code}.example.cn" for code in DEPARTMENTS}
    contacts["amr"] = f"{url}/hook/amr"
    path = tmp_path / "department-contacts.yaml"
    path.write_text(yaml.safe_dump({"contacts": contacts}), encoding="utf-8")
    return NotifierSettings(
        webhook_secret=SecretStr(delivery.SECRET.decode()),
        webhook_allow=allow,
        smtp_port=smtp_port,
        sms_gateway_url=f"{url}/sms/messages",
        sms_api_key=SecretStr(delivery.API_KEY),
        supervision_email="dzjc@supervision.example.cn",
        supervision_webhook_url=f"{url}/hook/supervision",
        department_contacts_file=path,
        delivery_max_attempts=3,
        delivery_backoff_seconds=0.01,
        delivery_rescan_seconds=60,
    )


def wired(notifier: NotifierSettings) -> dict[str, Consumer]:
    """The notifier's consumers as bootstrap builds them, by name."""
    return {c.name: c for c in consumers(watchers(notifier), CATALOG)}


async def handle(pool: asyncpg.Pool, name: str, consumer: Consumer, envelope: Envelope) -> int:
    inbox = consumer.inbox(pool, f"notifier.{name}")
    fresh, rejected = await inbox.process([envelope], consumer.handle)
    assert rejected == []
    return fresh


def on(application_id: UUID, event: Event, producer: str = "router") -> Envelope:
    return Envelope.new(event, application_id=application_id, producer=producer)


def submitted(app: UUID, delivery_to: Delivery, deferred: tuple[str, ...] = ()) -> Envelope:
    event = ApplicationSubmitted(
        matter="business-startup",
        channel="window",
        client="window-1",
        receipt_number=RECEIPT,
        applicant={"name": "陈明"},
        form={},
        delivery=delivery_to,
        in_person=True,
        deferred_materials=deferred,
        materials_promised_by=date(2025, 3, 10) if deferred else None,
    )
    return on(app, event, "intake")


def delivery_ids(hub: Any, box: Any) -> Counter[str]:
    """Every send received, by its delivery id (webhooks and mails)."""
    sent = [h["x-onewindow-delivery"] for _, _, h in hub.hooks]
    sent += [str(m["X-OneWindow-Delivery"]) for _, m in box.messages]
    return Counter(sent)


async def prepared_kinds(pool: asyncpg.Pool, app: UUID) -> list[str]:
    return [
        r["stream_id"].removeprefix(f"notice-{app}-")
        for r in await pool.fetch(
            "SELECT stream_id FROM events WHERE event_type = 'NoticePrepared'"
            " AND application_id = $1 ORDER BY position",
            app,
        )
    ]


async def test_a_subtask_overdue_reaches_supervision_and_the_department_once(
    notices: asyncpg.Pool, receivers: Any, mailbox: Any, tmp_path: Path
) -> None:
    (hub, url), (box, port) = receivers, mailbox
    notifier = watched(tmp_path, url, port)
    handlers, app = wired(notifier), uuid7()
    await handle(notices, "applications", handlers["applications"], submitted(app, EMAIL))
    overdue = on(app, clock_event("exceeded"))
    roles = ("supervision-email", "supervision-webhook", "department")
    async with delivering(notices, notifier):
        assert await handle(notices, "supervision", handlers["supervision"], overdue) == 1
        ends = [await recorded(notices, f"notice-{app}-{OVERDUE_KEY}{r}") for r in roles]
        assert await handle(notices, "supervision", handlers["supervision"], overdue) == 0
        again = on(app, clock_event("exceeded"))  # the same clock's overdue, a new event id
        assert await handle(notices, "supervision", handlers["supervision"], again) == 1
        # A later notice, delivered, shows the workers had every chance to send a repeat.
        later = on(app, clock_event("warned", clock_id="psb-seal", department="psb"))
        await handle(notices, "supervision", handlers["supervision"], later)
        await recorded(notices, f"notice-{app}-clock:subtask:psb-seal:promised:warned:department")

    sent = delivery_ids(hub, box)
    assert all(sent[f"notice-{app}-{OVERDUE_KEY}{role}"] == 1 for role in roles)
    assert len(await prepared_kinds(notices, app)) == 6  # 3 for the overdue, 3 for the warning
    [(body, headers)] = hub.calls("supervision")[:1]
    expected = hmac.new(delivery.SECRET, body, hashlib.sha256).hexdigest()
    assert headers["x-onewindow-signature"] == f"sha256={expected}"
    assert headers["x-onewindow-event"] == "supervision"
    hook = json.loads(body)
    assert hook["notice_key"] == OVERDUE_KEY + "supervision-webhook"
    for line in (f"受理编号：{RECEIPT}", "责任部门：市场监督管理局", "到期时间：2025-03-05 17:00"):
        assert line in hook["text"]
    [(amr_body, _)] = hub.calls("amr")
    assert "贵单位承办的以下办理环节已超过时限" in json.loads(amr_body)["text"]
    overdue_mails = [(to, m) for to, m in box.messages if "超期" in str(m["Subject"])]
    [(to, mail)] = overdue_mails
    assert to == ["dzjc@supervision.example.cn"]
    assert str(mail["Subject"]).startswith(f"【电子监察】超期：企业开办（受理编号：{RECEIPT}）")
    assert [e[1].payload["notice_key"] for e in ends] == [OVERDUE_KEY + r for r in roles]
    assert {e[1].event_type for e in ends} == {"NoticeDelivered"}


async def test_a_warning_before_the_submission_still_reaches_supervision(
    notices: asyncpg.Pool, receivers: Any, mailbox: Any, tmp_path: Path
) -> None:
    (hub, url), (box, port) = receivers, mailbox
    notifier, app = watched(tmp_path, url, port), uuid7()
    warned = clock_event("warned", clock="application", clock_id="application", department=None)
    async with delivering(notices, notifier):
        await handle(notices, "supervision", wired(notifier)["supervision"], on(app, warned))
        key = "clock:application:application:promised:warned:supervision-email"
        await recorded(notices, f"notice-{app}-{key}")

    assert await prepared_kinds(notices, app) == [key, key.replace("email", "webhook")]
    [(_, mail)] = box.messages
    assert f"受理编号：暂未获取（办件标识 {app}）" in mail.get_content()
    assert hub.calls("amr") == []


async def test_a_deficiency_reminder_goes_to_the_delivery_recorded_at_submission(
    notices: asyncpg.Pool, receivers: Any, mailbox: Any, tmp_path: Path
) -> None:
    (_, url), (box, port) = receivers, mailbox
    notifier, app = watched(tmp_path, url, port), uuid7()
    handlers = wired(notifier)
    owed = ("premises-proof", "employee-list")
    await handle(notices, "applications", handlers["applications"], submitted(app, EMAIL, owed))
    handed_in = MaterialsHandedIn(materials=("employee-list",), in_person=True)
    await handle(notices, "applications", handlers["applications"], on(app, handed_in, "intake"))
    warned = clock_event("warned", clock="deficiency", clock_id="deficiency", limit="own")
    async with delivering(notices, notifier):
        await handle(notices, "supervision", handlers["supervision"], on(app, warned))
        _, end = await recorded(notices, f"notice-{app}-{REMINDER_KEY}")

    assert await prepared_kinds(notices, app) == [REMINDER_KEY]  # nobody else is told
    [(to, mail)] = box.messages
    assert to == ["chen@example.cn"]
    assert mail["Subject"] == f"【一网通办】企业开办容缺材料补交提醒（受理编号：{RECEIPT}）"
    text = mail.get_content().replace("\r\n", "\n")
    assert (
        "请于2025-03-05 17:00（北京时间）前补交以下材料：\n\n1. 住所（经营场所）使用证明\n\n"
        in text
    )
    assert "参保职工花名册" not in text  # handed in already
    assert end.payload["notice"] == "reminder" and end.payload["recipient"] == "c***@example.cn"


async def test_a_reminder_before_the_submission_waits_for_it_and_goes_out_once(
    notices: asyncpg.Pool, receivers: Any, tmp_path: Path
) -> None:
    hub, url = receivers
    notifier, app = watched(tmp_path, url, allow=urlsplit(url).netloc), uuid7()
    handlers = wired(notifier)
    warned = clock_event("warned", clock="deficiency", clock_id="deficiency", limit="own")
    first, again = on(app, warned), on(app, warned)
    for envelope in (first, first, again):
        await handle(notices, "supervision", handlers["supervision"], envelope)
    [waiting] = await EventStore(notices).read(f"waiting-{app}")
    assert waiting.envelope.payload["notice_key"] == REMINDER_KEY
    assert await prepared_kinds(notices, app) == []  # no address yet: nothing prepared

    to_hook = Delivery(channel="webhook", address=f"{url}/hook/chen")
    await handle(notices, "applications", handlers["applications"], submitted(app, to_hook))
    async with delivering(notices, notifier):
        prepared, end = await recorded(notices, f"notice-{app}-{REMINDER_KEY}")

    assert prepared.causation_id == waiting.envelope.event_id
    assert waiting.envelope.causation_id == first.event_id
    [(body, _)] = hub.calls("chen")
    assert "陈明，您好：" in json.loads(body)["text"]
    assert end.event_type == "NoticeDelivered"


async def test_a_reminder_racing_its_submission_is_prepared_exactly_once(
    notices: asyncpg.Pool, tmp_path: Path
) -> None:
    handlers = wired(watched(tmp_path, "http://127.0.0.1:9"))
    warned = clock_event("warned", clock="deficiency", clock_id="deficiency", limit="own")
    apps = [uuid7() for _ in range(25)]

    async def race(app: UUID) -> None:
        await asyncio.gather(
            handle(notices, "supervision", handlers["supervision"], on(app, warned)),
            handle(notices, "applications", handlers["applications"], submitted(app, EMAIL)),
        )

    await asyncio.gather(*(race(app) for app in apps))
    for app in apps:
        assert await prepared_kinds(notices, app) == [REMINDER_KEY]


async def test_a_held_result_and_a_lapse_reach_the_applicant(
    notices: asyncpg.Pool, receivers: Any, mailbox: Any, tmp_path: Path
) -> None:
    (hub, url), (box, port) = receivers, mailbox
    notifier = watched(tmp_path, url, port)
    outcomes = wired(notifier)["delivery"]
    kept, lapsed = uuid7(), uuid7()
    async with delivering(notices, notifier):
        await handle(notices, "delivery", outcomes, on(kept, held()))
        lapse = delivery.decided(lapsed, "lapsed", channel="sms", address="13812341234")
        await handle(notices, "delivery", outcomes, lapse)
        _, held_end = await recorded(notices, f"notice-{kept}-held")
        _, lapse_end = await recorded(notices, f"notice-{lapsed}-outcome")

    [(to, mail)] = box.messages
    assert to == ["chen@example.cn"] and "各部门均已办结" in mail.get_content()
    assert "1. 住所（经营场所）使用证明" in mail.get_content()
    assert held_end.payload["notice"] == "held"
    [(message, _)] = hub.texts
    assert "因逾期未补正已终止办理" in message["content"]
    assert lapse_end.payload["notice"] == "lapse" and lapse_end.payload["receipt"] == "SMS-1"


async def test_through_kafka_a_warning_ahead_of_its_submission_is_delivered_once(
    stack: Stack, schema_name: str, receivers: Any, tmp_path: Path
) -> None:
    """The service's own consumers on the real broker: the supervision topic is read ahead of
    the applications topic, so the reminder waits; the overdue goes out at once."""
    hub, url = receivers
    notifier = watched(tmp_path, url, allow=urlsplit(url).netloc).model_copy(
        update={"database_url": stack.database_url, "kafka_bootstrap_servers": stack.kafka}
    )
    wanted = [c for c in consumers(watchers(notifier), CATALOG) if c.name != "delivery"]
    service = Service(
        schema_name, notifier, consumers=wanted, publishes_to=[NOTIFICATIONS],
        migrations=[MIGRATIONS], background={"delivery": delivery_workers(notifier)},
    )  # fmt: skip
    app = uuid7()
    warned = clock_event("warned", clock="deficiency", clock_id="deficiency", limit="own")
    overdue = clock_event("exceeded")
    await service.start()
    try:
        await produce(stack.kafka, SUPERVISION, on(app, warned), on(app, overdue))
        await recorded(service.pool, f"notice-{app}-{OVERDUE_KEY}department", timeout=60)
        async with asyncio.timeout(30):
            while not await EventStore(service.pool).read(f"waiting-{app}"):
                await asyncio.sleep(0.05)
        to_hook = Delivery(channel="webhook", address=f"{url}/hook/{app}")
        await produce(stack.kafka, APPLICATIONS, submitted(app, to_hook))
        _, end = await recorded(service.pool, f"notice-{app}-{REMINDER_KEY}", timeout=60)
    finally:
        await service.stop()

    assert end.event_type == "NoticeDelivered"
    [(body, _)] = hub.calls(str(app))
    assert json.loads(body)["notice_key"] == REMINDER_KEY
    [(amr, _)] = [c for c in hub.calls("amr") if str(app) in json.loads(c[0])["delivery_id"]]
    assert f"办件标识 {app}" in json.loads(amr)["text"]  # sent before the submission was seen


async def produce(kafka: str, topic: str, *envelopes: Envelope) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        for envelope in envelopes:
            key, value, headers = to_kafka(envelope)
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def recorded(pool: asyncpg.Pool, stream: str, timeout: float = 15) -> list[Envelope]:
    """The notice stream once its delivery is recorded (a time-out fails the test)."""
    async with asyncio.timeout(timeout):
        while len(events := await EventStore(pool).read(stream)) < 2:
            await asyncio.sleep(0.02)
    return [e.envelope for e in events]


delivering = delivery.delivering

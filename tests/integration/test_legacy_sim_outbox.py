"""The stand-ins of the notifier's outside world, in a legacy_sim process: the SMTP server and
the SMS gateway, and what they list at /_control/mail and /_control/sms."""

from __future__ import annotations

import asyncio
import base64
import os
import smtplib
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import httpx
import pytest
from uuid6 import uuid7

from onewindow.embedded.ports import free_port
from tests.conftest import ROOT

API_KEY = "outbox-test-key"


@dataclass
class Outbox:
    http: httpx.AsyncClient
    smtp_port: int


@dataclass
class Running:
    port: int
    smtp_port: int
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    port, smtp_port = free_port(), free_port()
    log = tmp_path_factory.mktemp("outbox") / "legacy_sim.log"
    env = {
        **os.environ,
        "ONEWINDOW_LEGACY_SIM_PORT": str(port),
        "ONEWINDOW_LEGACY_SIM_SMTP_PORT": str(smtp_port),
        "ONEWINDOW_LEGACY_SIM_SMS_API_KEY": API_KEY,
        "ONEWINDOW_LEGACY_SIM_ALL_DEPARTMENTS": '{"latency_ms": 0, "jitter_ms": 0}',
    }
    env.pop("ONEWINDOW_LEGACY_SIM_KAFKA_BOOTSTRAP_SERVERS", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.legacy_sim"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield Running(port, smtp_port, process, log)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
async def outbox(running: Running) -> AsyncIterator[Outbox]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.port}") as http:
        await _until_up(http, running.process, running.log)
        yield Outbox(http, running.smtp_port)


async def _until_up(http: httpx.AsyncClient, process: subprocess.Popen[bytes], log: Path) -> None:
    async with asyncio.timeout(30):
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if (await http.get("/_control/mail")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


def _send_mail(port: int, subject: str, text: str) -> str:
    message = EmailMessage()
    message["From"] = "OneWindow <noreply@onewindow.example.cn>"
    message["To"] = "chen@example.cn"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="onewindow.example.cn")
    message.set_content(text)
    message.add_attachment(
        b"%PDF-1.7 result", maintype="application", subtype="pdf", filename="result.pdf"
    )
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)
    return str(message["Message-ID"])


def _send_raw(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail("noreply@onewindow.example.cn", ["wang@example.cn"], raw)


def _sms(mobile: str, content: str) -> dict[str, str]:
    return {"mobile": mobile, "content": content, "signature": "一窗通办"}


async def test_a_mail_is_listed_decoded(outbox: Outbox) -> None:
    subject = f"您的办件已办结 {uuid7()}"  # non-ASCII: sent RFC 2047-encoded by smtplib
    text = "陈先生：您申请的「企业开办」已办结，电子证照见附件。"
    message_id = await asyncio.to_thread(_send_mail, outbox.smtp_port, subject, text)
    mails = (await outbox.http.get("/_control/mail")).json()
    [mail] = [m for m in mails if m["subject"] == subject]
    assert mail["from"] == "noreply@onewindow.example.cn" and mail["to"] == ["chen@example.cn"]
    assert mail["text"].strip() == text
    assert mail["message_id"] == message_id and mail["received_at"]
    assert mail["attachments"] == [
        {"filename": "result.pdf", "content_type": "application/pdf", "size": 15}
    ]


async def test_encoded_words_and_a_base64_body_are_decoded(outbox: Outbox) -> None:
    marker = str(uuid7())
    subject = base64.b64encode("补正通知".encode()).decode()
    body = base64.b64encode("请补交「公司章程」。".encode("gb18030")).decode()
    raw = (
        f"From: noreply@onewindow.example.cn\r\nTo: wang@example.cn\r\n"
        f"Subject: =?UTF-8?B?{subject}?= {marker}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=gb18030\r\nContent-Transfer-Encoding: base64\r\n"
        f"\r\n{body}\r\n"
    ).encode()
    await asyncio.to_thread(_send_raw, outbox.smtp_port, raw)
    mails = (await outbox.http.get("/_control/mail")).json()
    [mail] = [m for m in mails if m["subject"] == f"补正通知 {marker}"]
    assert mail["text"].strip() == "请补交「公司章程」。" and mail["message_id"] is None


async def test_a_text_message_is_accepted_with_an_id(outbox: Outbox) -> None:
    content = f"【一窗通办】您的办件已办结 {uuid7()}"
    sent = await outbox.http.post(
        "/sms/messages", json=_sms("13812345678", content), headers={"X-Api-Key": API_KEY}
    )
    assert sent.status_code == 200
    message_id = sent.json()["message_id"]
    assert message_id.startswith("SMS")
    listed = [m for m in (await outbox.http.get("/_control/sms")).json() if m["content"] == content]
    assert [(m["message_id"], m["mobile"], m["signature"]) for m in listed] == [
        (message_id, "13812345678", "一窗通办")
    ]


@pytest.mark.parametrize("headers", [{"X-Api-Key": "wrong"}, {}])
async def test_a_wrong_api_key_is_refused(outbox: Outbox, headers: dict[str, str]) -> None:
    content = f"unauthorised {uuid7()}"
    refused = await outbox.http.post(
        "/sms/messages", json=_sms("13812345678", content), headers=headers
    )
    assert refused.status_code == 401 and "X-Api-Key" in refused.json()["error"]
    assert all(m["content"] != content for m in (await outbox.http.get("/_control/sms")).json())


@pytest.mark.parametrize("mobile", ["1381234567", "23812345678", "138123456789", "1381234567a"])
async def test_an_invalid_mobile_is_refused(outbox: Outbox, mobile: str) -> None:
    refused = await outbox.http.post(
        "/sms/messages", json=_sms(mobile, "办结"), headers={"X-Api-Key": API_KEY}
    )
    assert refused.status_code == 400 and refused.json()["error"].startswith("mobile:")


async def test_gateway_faults_are_configured_like_a_department(outbox: Outbox) -> None:
    body, headers = _sms("13900000000", f"retry me {uuid7()}"), {"X-Api-Key": API_KEY}
    await outbox.http.post("/_control/sms", json={"fail_first": 1})
    try:
        first = await outbox.http.post("/sms/messages", json=body, headers=headers)
        second = await outbox.http.post("/sms/messages", json=body, headers=headers)
    finally:
        await outbox.http.post("/_control/sms", json={"fail_first": 0})
    assert (first.status_code, second.status_code) == (500, 200)


async def test_reset_forgets_what_was_received(outbox: Outbox) -> None:
    await outbox.http.post(
        "/sms/messages", json=_sms("13812345678", "before reset"), headers={"X-Api-Key": API_KEY}
    )
    await asyncio.to_thread(_send_mail, outbox.smtp_port, "重置前", "before reset")
    assert (await outbox.http.post("/_control/reset")).json() == {"status": "reset"}
    assert (await outbox.http.get("/_control/sms")).json() == []
    assert (await outbox.http.get("/_control/mail")).json() == []

"""intake refuses a webhook that does not lead to a public receiver (unless the operators'
allow-list admits it), and tells the applicant nothing of why a delivery failed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import httpx
import pytest

from contracts.envelope import Envelope
from contracts.events import NoticeDelivered, NoticeDeliveryFailed
from runtime.service import Service
from services.intake.adapters import issue_api_key
from services.intake.adapters.projection import apply
from services.intake.domain.timeline import NOTICE_FAILED
from tests.integration.applications import example, submit
from tests.integration.in_process import Keyed, client_of, intake_on, running

ADMITTED = "127.0.0.1:8091"


@pytest.fixture(scope="module")
async def intake(stack) -> AsyncIterator[Service]:  # type: ignore[no-untyped-def]
    async with running(intake_on(stack, webhook_allow=ADMITTED)) as service:
        yield service


@pytest.fixture
async def headers(keyed: Keyed) -> dict[str, str]:
    return await keyed("web")


def hooked(address: str) -> dict[str, object]:
    return example(delivery={"channel": "webhook", "address": address})


@pytest.mark.parametrize(
    ("address", "rule"),
    [
        ("http://127.0.0.1:55432/", "webhook-address"),
        ("http://127.0.0.1:8090/_control/amr", "webhook-address"),  # admitted is 8091 only
        ("http://[::1]:8091/", "webhook-address"),
        ("http://0.0.0.0:8091/", "webhook-address"),
        ("http://2130706433:8091/", "webhook-host"),
        ("http://0x7f000001/", "webhook-host"),
        ("http://0177.0.0.1/", "webhook-host"),
        ("http://127.1/", "webhook-host"),
        ("http://localhost:8091/", "webhook-host"),
        ("http://10.0.0.1/", "webhook-address"),
        ("http://169.254.169.254/latest/meta-data/", "webhook-address"),
        ("http://metadata.google.internal/computeMetadata/v1/", "webhook-host"),
        ("http://[::ffff:127.0.0.1]:8091/", "webhook-address"),
        ("http://user:pw@hooks.example.cn/", "webhook-userinfo"),
        ("https://hooks.example.cn:22/", "webhook-port"),
        ("http://intranet/", "webhook-host"),
        ("gopher://hooks.example.cn/", "url"),
    ],
)
async def test_a_webhook_to_a_non_public_receiver_is_refused_naming_the_rule(
    http: httpx.AsyncClient, headers: dict[str, str], address: str, rule: str
) -> None:
    answer = await submit(http, headers, hooked(address))
    assert answer.status_code == 422, answer.text
    errors = answer.json()["details"]["errors"]
    assert [(e["field"], e["rule"]) for e in errors] == [("delivery.address", rule)]
    assert errors[0]["message"] and "delivery.address" in answer.json()["message"]


async def test_a_public_or_admitted_receiver_is_taken(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for address in (
        "https://hooks.example.cn/onewindow?token=s3cret",
        "http://8.8.8.8:8080/hook",
        f"http://{ADMITTED}/results/one",
    ):
        answer = await submit(http, headers, hooked(address))
        assert answer.status_code == 202, (address, answer.text)


async def test_without_an_allow_list_the_local_receiver_is_refused(stack) -> None:  # type: ignore[no-untyped-def]
    async with running(intake_on(stack)) as plain, client_of(plain) as http:
        key = await issue_api_key(plain.pool, f"web-{uuid4().hex[:8]}", "web")
        answer = await submit(
            http, {"Authorization": f"Bearer {key}"}, hooked(f"http://{ADMITTED}/results/one")
        )
    assert answer.status_code == 422
    assert answer.json()["details"]["errors"][0]["rule"] == "webhook-address"


async def test_the_applicant_reads_the_same_words_for_every_failed_delivery(
    http: httpx.AsyncClient, intake: Service, headers: dict[str, str]
) -> None:
    accepted = await submit(http, headers, hooked("https://hooks.example.cn/in"))
    application_id = UUID(accepted.json()["application_id"])
    causes = (
        "webhook unreachable (ReadError)",
        "webhook answered HTTP 404",
        "webhook timed out (ConnectTimeout)",
        "webhook target refused: rebind.example.cn resolves to 127.0.0.1",
    )
    events = [
        NoticeDeliveryFailed(
            notice="supplement",
            notice_key=f"S{n}",
            channel="webhook",
            recipient="hooks.example.cn",
            attempts=1 + n,
            error=cause,
        )
        for n, cause in enumerate(causes)
    ]
    delivered = NoticeDelivered.model_validate(
        {
            "notice": "result",
            "notice_key": "outcome",
            "channel": "webhook",
            "recipient": "hooks.example.cn",
            "attempts": 1,
            "receipt": "HTTP 204",
            "delivered_at": "2026-12-01T02:00:00Z",
        }
    )
    async with intake.pool.acquire() as conn, conn.transaction():
        for event in [*events, delivered]:
            await apply(conn, Envelope.new(event, application_id=application_id, producer="nt"))

    view = (await http.get(accepted.json()["status_url"], headers=headers)).json()
    details = {n["notice_key"]: (n["status"], n["detail"]) for n in view["notices"]}
    assert details == {
        **{f"S{n}": ("failed", NOTICE_FAILED) for n in range(len(causes))},
        "outcome": ("delivered", "HTTP 204"),
    }
    said = " ".join(entry["summary"] for entry in view["timeline"])
    for word in ("unreachable", "ReadError", "404", "timed out", "127.0.0.1", "refused"):
        assert word not in said

"""legacy_sim on a real socket: the signed nrb callback, and a client time-out."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from onewindow.serving import serving
from services.legacy_sim.app import create_app
from services.legacy_sim.config import LegacySimSettings
from services.legacy_sim.domain.signature import verify

SECRET = "callback-test-secret"
FILING = {
    "application_id": "app-9",
    "subtask": "nrb-transfer-registration",
    "inputs": {"city": "杭州市"},
    "materials": ["property-certificate"],
}


def simulator() -> FastAPI:
    return create_app(
        LegacySimSettings(
            all_departments={"latency_ms": 0, "jitter_ms": 0, "processing_delay_ms": 100},
            callback_secret=SECRET,
            callback_backoff_ms=50,
            smtp_port=0,  # these tests need no mail server (and 8025 may be taken)
        )
    )


class Receiver:
    """A callback endpoint that fails its first ``failures`` deliveries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[bytes, dict[str, str]]] = []
        self.delivered = asyncio.Event()
        self.app = FastAPI()
        self.app.post("/callback")(self.receive)

    async def receive(self, request: Request) -> Response:
        self.calls.append((await request.body(), dict(request.headers)))
        if len(self.calls) <= self.failures:
            return Response(status_code=503)
        self.delivered.set()
        return Response(status_code=204)


async def test_callback_arrives_signed_after_retries() -> None:
    receiver = Receiver(failures=2)
    async with serving(receiver.app) as receiver_url, serving(simulator()) as sim_url:
        body = {**FILING, "callback_url": f"{receiver_url}/callback"}
        async with httpx.AsyncClient(base_url=sim_url) as http:
            headers = {"Idempotency-Key": "k-cb"}
            accepted = await http.post("/nrb/filings", json=body, headers=headers)
            assert accepted.status_code == 202
            receipt = accepted.json()["receipt"]
            again = await http.post("/nrb/filings", json=body, headers=headers)
            assert again.json() == {"receipt": receipt}
            await asyncio.wait_for(receiver.delivered.wait(), timeout=10)
            deliveries = (await http.get("/_control/callbacks")).json()
            counts = (await http.get("/_control/filings")).json()["nrb"]["k-cb"]
    assert len(receiver.calls) == 3  # two 503s, then accepted; the repeat sent nothing more
    bodies = {raw for raw, _ in receiver.calls}
    assert len(bodies) == 1  # every attempt carries the same bytes
    raw, headers = receiver.calls[-1]
    assert verify(SECRET.encode(), raw, headers["x-legacy-signature"])
    assert headers["x-legacy-attempt"] == "3"
    result = json.loads(raw)
    assert result["status"] == "completed" and result["receipt"] == receipt
    assert result["application_id"] == "app-9" and result["subtask"] == "nrb-transfer-registration"
    assert result["outputs"]["certificate_number"].endswith("号")
    assert deliveries == [
        {
            "department": "nrb",
            "receipt": receipt,
            "url": f"{receiver_url}/callback",
            "attempts": 3,
            "state": "delivered",
            "last_error": None,
        }
    ]
    assert counts == {"requests": 2, "filings": 1, "cancellations": 0}


async def test_cancelled_before_the_decision_is_never_called_back() -> None:
    receiver = Receiver(failures=0)
    async with serving(receiver.app) as receiver_url, serving(simulator()) as sim_url:
        body = {**FILING, "callback_url": f"{receiver_url}/callback"}
        async with httpx.AsyncClient(base_url=sim_url) as http:
            await http.post("/_control/nrb", json={"processing_delay_ms": 300})
            accepted = await http.post("/nrb/filings", json=body, headers={"Idempotency-Key": "c"})
            receipt = accepted.json()["receipt"]
            cancelled = await http.post(f"/nrb/filings/{receipt}/cancel")
            assert cancelled.json() == {"status": "cancelled", "receipt": receipt}
            await asyncio.sleep(0.5)
            deliveries = (await http.get("/_control/callbacks")).json()
    assert receiver.calls == []
    assert deliveries[0]["state"] == "cancelled"


async def test_timed_out_request_was_filed_and_the_retry_gets_the_same_answer() -> None:
    async with serving(simulator()) as sim_url:
        async with httpx.AsyncClient(base_url=sim_url, timeout=0.2) as http:
            await http.post("/_control/amr", json={"timeout_rate": 1.0, "timeout_seconds": 0.4})
            amr = {**FILING, "subtask": "amr-licence", "materials": ["articles"]}
            headers = {"Idempotency-Key": "k-to"}
            with pytest.raises(httpx.ReadTimeout):
                await http.post("/amr/filings", json=amr, headers=headers)
            await http.post("/_control/amr", json={"timeout_rate": 0.0})
            retried = await http.post("/amr/filings", json=amr, headers=headers)
            assert retried.json()["status"] == "completed"
            await asyncio.sleep(0.3)  # let the stalled first request finish before shutdown
            counts = (await http.get("/_control/filings")).json()["amr"]["k-to"]
    assert counts == {"requests": 2, "filings": 1, "cancellations": 0}

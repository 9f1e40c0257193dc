"""dept_adapter when things go wrong: a failing legacy system (breaker), cancellations
before and after filing, and a restart in the middle of polling."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from tests.integration.dept_adapter_support import (
    Adapter,
    adapter,
    adapter_on,
    legacy_sim,
)

__all__ = ["adapter", "legacy_sim"]  # fixtures


async def _breaker(adapter: Adapter, department: str, state: str) -> dict[str, object]:
    async with asyncio.timeout(10):
        while (now := (await adapter.departments_state())[department])["breaker"] != state:
            await asyncio.sleep(0.02)
    return now


async def test_breaker_opens_on_repeated_500s_and_the_filing_completes_once_healed(
    adapter: Adapter,
) -> None:
    await adapter.configure("amr", error_rate=1.0)
    dispatched = await adapter.dispatch("amr", "amr-licence", {"n": "2"}, ("articles",))
    key = dispatched.payload["filing_key"]
    opened = await _breaker(adapter, "amr", "open")
    assert opened["pending"] == 1 and "injected error" in str(opened["last_error"])
    assert await adapter.ledger("amr", key) == {"requests": 3, "filings": 0, "cancellations": 0}
    await adapter.configure("amr", error_rate=0.0)
    completed = await adapter.wait_for(key, "SubtaskCompleted")
    assert completed.payload["outputs"]["credit_code"]
    # Open means no calls: after the window, one probe filed it.
    assert await adapter.ledger("amr", key) == {"requests": 4, "filings": 1, "cancellations": 0}
    assert [e.event_type for e in await adapter.stream(key)] == [
        "DeptAdapterFilingRequested",
        "SubtaskCompleted",
    ]  # retryable failures never became SubtaskFailed
    healed = await _breaker(adapter, "amr", "closed")
    assert healed["in_flight"] == 0


async def test_cancelled_before_filing_is_never_filed(adapter: Adapter) -> None:
    dispatched = await adapter.dispatch("amr", "amr-licence", {"n": "3"}, send=False)
    await adapter.deliver(dispatched, adapter.cancel(dispatched))
    key = dispatched.payload["filing_key"]
    cancelled = await adapter.wait_for(key, "FilingCancelled")
    assert cancelled.payload["confirmed"] is True and cancelled.payload["legacy_receipt"] is None
    types = [e.event_type for e in await adapter.stream(key)]
    assert types == [
        "DeptAdapterFilingRequested",
        "DeptAdapterCancellationRequested",
        "FilingCancelled",
    ]
    assert await adapter.ledger("amr", key) is None
    # Cancelled before it was ever dispatched here: confirmed at once; a late dispatch is ignored.
    never = await adapter.dispatch("hpf", "hpf-account", send=False)
    await adapter.deliver(adapter.cancel(never))
    await adapter.deliver(never)
    only = await adapter.stream(never.payload["filing_key"])
    assert [(e.event_type, e.payload["confirmed"]) for e in only] == [("FilingCancelled", True)]


async def test_cancel_after_filing_cancels_at_the_legacy_system(adapter: Adapter) -> None:
    dispatched = await adapter.dispatch("amr", "amr-licence", {"n": "4"}, ("articles",))
    key = dispatched.payload["filing_key"]
    receipt = (await adapter.wait_for(key, "SubtaskCompleted")).payload["legacy_receipt"]
    cancel = adapter.cancel(dispatched)
    await adapter.deliver(cancel)
    cancelled = await adapter.wait_for(key, "FilingCancelled")
    assert cancelled.payload == {**cancelled.payload, "confirmed": True, "legacy_receipt": receipt}
    assert cancelled.causation_id == cancel.event_id
    assert await adapter.ledger("amr", key) == {"requests": 1, "filings": 1, "cancellations": 1}


async def test_cancelled_while_processing_publishes_no_late_answer(adapter: Adapter) -> None:
    await adapter.configure("hrss", processing_delay_ms=60_000)
    await adapter.configure("nrb", processing_delay_ms=2000)  # cancelled before it decides
    polled = await adapter.dispatch("hrss", "hrss-social-insurance", {"n": "5"})
    called = await adapter.dispatch("nrb", "nrb-transfer-registration", {"city": "杭州市"})
    for dispatched in (polled, called):
        key = dispatched.payload["filing_key"]
        await adapter.wait_for(key, "SubtaskAccepted")
        await adapter.deliver(adapter.cancel(dispatched))
        cancelled = await adapter.wait_for(key, "FilingCancelled")
        assert cancelled.payload["confirmed"] is True
    async with asyncio.timeout(10):  # the sim drops the callback of a cancelled filing
        while (await adapter.sim.get("/_control/callbacks")).json()[0]["state"] != "cancelled":
            await asyncio.sleep(0.02)
    for dispatched in (polled, called):
        types = [e.event_type for e in await adapter.stream(dispatched.payload["filing_key"])]
        assert types == [
            "DeptAdapterFilingRequested",
            "SubtaskAccepted",
            "DeptAdapterCancellationRequested",
            "FilingCancelled",
        ]


async def test_a_cancel_the_legacy_system_never_confirms_ends_unconfirmed(
    adapter: Adapter,
) -> None:
    dispatched = await adapter.dispatch("mia", "mia-insurance", {"n": "6"})
    key = dispatched.payload["filing_key"]
    await adapter.wait_for(key, "SubtaskCompleted")
    await adapter.configure("mia", error_rate=1.0)
    await adapter.deliver(adapter.cancel(dispatched))
    cancelled = await adapter.wait_for(key, "FilingCancelled")
    assert cancelled.payload["confirmed"] is False
    assert await adapter.ledger("mia", key) == {"requests": 1, "filings": 1, "cancellations": 0}


async def test_filings_recorded_while_down_are_filed_and_polling_resumes_after_restart(
    pool: asyncpg.Pool, legacy_sim: str
) -> None:
    async with adapter_on(pool, legacy_sim) as first:
        await first.configure("hrss", processing_delay_ms=1500)
        polled = await first.dispatch("hrss", "hrss-social-insurance", {"n": "7"})
        await first.wait_for(polled.payload["filing_key"], "SubtaskAccepted")
        waiting = await first.dispatch("gas", "gas-transfer", {"n": "8"}, send=False)
    # While no worker runs, a dispatch is only recorded; nothing is called.
    await first.deliver(waiting)
    assert [e.event_type for e in await first.stream(waiting.payload["filing_key"])] == [
        "DeptAdapterFilingRequested"
    ]
    async with adapter_on(pool, legacy_sim, reset=False) as second:
        key = polled.payload["filing_key"]
        completed = await second.wait_for(key, "SubtaskCompleted")
        assert completed.payload["outputs"]["social_insurance_number"]
        assert await second.ledger("hrss", key) == {"requests": 1, "filings": 1, "cancellations": 0}
        await second.wait_for(waiting.payload["filing_key"], "SubtaskCompleted")


async def test_a_callback_lost_while_the_adapter_was_away_is_asked_for_again(
    pool: asyncpg.Pool, legacy_sim: str
) -> None:
    waits = {"nrb": {"callback_wait_seconds": 0.5}}
    async with adapter_on(pool, legacy_sim, waits) as adapter:
        await adapter.configure("nrb", processing_delay_ms=200)
        dispatched = await adapter.dispatch(
            "nrb", "nrb-transfer-registration", {"city": "杭州市"}, ("property-certificate",)
        )
        key = dispatched.payload["filing_key"]
        await adapter.wait_for(key, "SubtaskAccepted")
    async with httpx.AsyncClient(base_url=legacy_sim) as sim, asyncio.timeout(30):
        while (await sim.get("/_control/callbacks")).json()[0]["state"] != "failed":
            await asyncio.sleep(0.1)  # every attempt found no adapter: the delivery gave up
    async with adapter_on(pool, legacy_sim, waits, reset=False) as adapter:
        completed = await adapter.wait_for(key, "SubtaskCompleted")
        assert completed.causation_id == dispatched.event_id
        assert await adapter.ledger("nrb", key) == {"requests": 2, "filings": 1, "cancellations": 0}

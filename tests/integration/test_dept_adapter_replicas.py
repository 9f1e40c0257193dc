"""dept_adapter as several replicas on one schema, against the real legacy_sim: every replica
notices every filing, but only the one holding a filing's claim calls its legacy system."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from eventlog.inbox import Inbox
from onewindow.embedded.ports import free_port
from runtime.claims import Claims
from services.dept_adapter.adapters.filing_log import FilingLog
from services.dept_adapter.entrypoints.filing import FILING_CLAIMS
from tests.integration.dept_adapter_support import Adapter, adapter_on, legacy_sim, running

__all__ = ["legacy_sim"]  # fixtures

DISPATCHES = [
    ("amr", "amr-licence", {"n": "1"}, ("articles",)),
    ("amr", "amr-licence", {"n": "2"}, ("articles",)),
    ("hpf", "hpf-account", {"n": "3"}, ()),
    ("tax", "tax-invoice", {"credit_code": "91350100M000100Y43", "company_name": "云帆"},
     ("business-licence", "id-tax-officer")),
    ("hrss", "hrss-social-insurance", {"n": "5"}, ()),
    ("nrb", "nrb-transfer-registration", {"city": "杭州市"}, ("property-certificate",)),
]  # fmt: skip


async def test_two_replicas_call_a_legacy_system_once_per_filing(
    pool: asyncpg.Pool, legacy_sim: str
) -> None:
    async with adapter_on(pool, legacy_sim) as first, running(pool, legacy_sim, free_port()):
        for department in {d for d, *_ in DISPATCHES}:
            # slow answers: both replicas notice each filing while the other's call is under way
            await first.configure(department, latency_ms=300, processing_delay_ms=300)
        keys = {}
        for department, subtask, inputs, materials in DISPATCHES:
            dispatched = await first.dispatch(department, subtask, inputs, materials)
            keys[dispatched.payload["filing_key"]] = department
        for key in keys:
            await first.wait_for(key, "SubtaskCompleted")
        await asyncio.sleep(1.0)  # a late second call would show in the ledger now
        once = {"requests": 1, "filings": 1, "cancellations": 0}
        for key, department in keys.items():
            assert await first.ledger(department, key) == once, department
            types = [e.event_type for e in await first.stream(key)]
            assert types.count("SubtaskCompleted") == 1 and len(types) == len(set(types))


async def test_a_filing_held_by_a_replica_is_worked_once_that_replica_is_gone(
    pool: asyncpg.Pool, legacy_sim: str
) -> None:
    async with adapter_on(pool, legacy_sim) as adapter, pool.acquire() as elsewhere:
        dispatched = await adapter.dispatch(
            "amr", "amr-licence", {"n": "9"}, ("articles",), send=False
        )
        key = dispatched.payload["filing_key"]
        other_replica = Claims(elsewhere, FILING_CLAIMS)
        assert await other_replica.claim(key)
        await adapter.deliver(dispatched)
        await asyncio.sleep(1.5)  # three rescans: this replica waits, the legacy system is idle
        assert await adapter.ledger("amr", key) is None
        other_replica.close()
        await elsewhere.execute("SELECT pg_advisory_unlock_all()")  # as its session ending does
        await adapter.wait_for(key, "SubtaskCompleted")
        assert await adapter.ledger("amr", key) == {"requests": 1, "filings": 1, "cancellations": 0}


async def test_workers_whose_claims_session_ends_stop_their_work(
    pool: asyncpg.Pool, legacy_sim: str
) -> None:
    async with (
        httpx.AsyncClient(base_url=legacy_sim) as sim,
        running(pool, legacy_sim, free_port(), work=False) as workers,
    ):
        adapter = Adapter(
            pool,
            workers,
            sim,
            "",
            Inbox(pool, "dept_adapter.filing"),
            frozenset(workers.departments),
        )
        await adapter.configure("amr", latency_ms=3000)
        stop = asyncio.Event()
        work = asyncio.create_task(workers.run(pool, FilingLog(pool), stop))
        try:
            dispatched = await adapter.dispatch("amr", "amr-licence", {"n": "10"}, ("articles",))
            holder = await _claim_holder(pool, dispatched.payload["filing_key"])
            await pool.execute("SELECT pg_terminate_backend($1)", holder)
            with pytest.raises(ConnectionError, match="claims"):
                await asyncio.wait_for(asyncio.shield(work), 10)
        finally:
            stop.set()
            await asyncio.gather(work, return_exceptions=True)
            await adapter.configure("amr", latency_ms=0)


async def _claim_holder(pool: asyncpg.Pool, key: str) -> int:
    """The backend holding the filing's claim, once one does."""
    async with asyncio.timeout(10):
        while True:
            pid = await pool.fetchval(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = (hashtext($1)::bigint & 4294967295)::oid"
                " AND objid = (hashtext($2)::bigint & 4294967295)::oid AND objsubid = 2",
                FILING_CLAIMS,
                key,
            )
            if pid is not None:
                return int(pid)
            await asyncio.sleep(0.02)

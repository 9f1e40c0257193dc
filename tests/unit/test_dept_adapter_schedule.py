"""A worker's schedule: each key looked at when due, never twice at once, and again after a
look when something was recorded for it meanwhile; what a look decides comes back to the
schedule, which only its worker changes."""

from __future__ import annotations

import asyncio

from services.dept_adapter.domain.schedule import NextLook, Schedule
from services.dept_adapter.entrypoints.filing.scheduler import Scheduler


def test_due_keys_and_the_next_time_leave_busy_keys_out() -> None:
    schedule = Schedule()
    schedule.at("a", 10.0)
    schedule.at("b", 30.0)
    schedule.at("c", 5.0)
    schedule.at("d", 20.0)
    assert schedule.due(10.0, busy={"c"}) == (["a"], 20.0)
    schedule.then("a", None)
    schedule.then("d", 40.0)
    assert len(schedule) == 3
    assert schedule.due(35.0, busy=()) == (["b", "c"], 40.0)


async def test_a_key_noticed_during_its_look_is_looked_at_again_and_then_dropped() -> None:
    now = [0.0]
    looks: list[str] = []
    release = asyncio.Event()

    async def look_at(_filings: object, key: str) -> NextLook:
        looks.append(key)
        if len(looks) == 1:
            await release.wait()
        return None

    scheduler = Scheduler(look_at, concurrency=2, clock=lambda: now[0])  # type: ignore[arg-type]
    stop = asyncio.Event()
    worker = asyncio.create_task(scheduler.run(None, stop))  # type: ignore[arg-type]
    scheduler.notice("k")
    while scheduler.in_flight == 0:
        await asyncio.sleep(0)
    scheduler.notice("k")  # recorded meanwhile: not a second look at once
    for _ in range(10):
        await asyncio.sleep(0)
    assert looks == ["k"]
    release.set()
    async with asyncio.timeout(2):
        while len(looks) < 2 or scheduler.in_flight:
            await asyncio.sleep(0.01)
    assert looks == ["k", "k"] and scheduler.pending == 0
    stop.set()
    await worker


async def test_a_look_that_asks_for_a_later_one_waits_for_its_time() -> None:
    now = [0.0]
    looks: list[float] = []

    async def look_at(_filings: object, key: str) -> NextLook:
        looks.append(now[0])
        return now[0] + 30.0

    scheduler = Scheduler(look_at, concurrency=1, clock=lambda: now[0])  # type: ignore[arg-type]
    stop = asyncio.Event()
    worker = asyncio.create_task(scheduler.run(None, stop))  # type: ignore[arg-type]
    scheduler.notice("k")
    async with asyncio.timeout(2):
        while not looks or scheduler.in_flight:
            await asyncio.sleep(0.01)
    now[0] = 29.0
    scheduler.notice("other")  # wakes the worker: "k" is not due yet
    async with asyncio.timeout(2):
        while len(looks) < 2 or scheduler.in_flight:
            await asyncio.sleep(0.01)
    assert looks == [0.0, 29.0] and scheduler.pending == 2
    stop.set()
    await worker

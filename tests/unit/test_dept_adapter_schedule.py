"""A worker's schedule: each key looked at when due, never twice at once, and again after a
look when something was recorded for it meanwhile; what a look decides comes back to the
schedule, which only its worker changes; a key another replica holds waits for it."""

from __future__ import annotations

import asyncio

from services.dept_adapter.domain.schedule import NextLook, Schedule
from services.dept_adapter.entrypoints.filing.scheduler import Scheduler


class HeldClaims:
    """Claims as runtime/claims.py keeps them in the database, here shared in a set: what
    one replica holds, another is refused."""

    def __init__(self, held: set[str] | None = None) -> None:
        self.held = held if held is not None else set()

    async def claim(self, key: str) -> bool:
        if key in self.held:
            return False
        self.held.add(key)
        return True

    async def release(self, key: str) -> None:
        self.held.discard(key)


def test_due_keys_and_the_next_time_leave_busy_keys_out() -> None:
    schedule = Schedule()
    schedule.at("a", 10.0)
    schedule.at("b", 30.0)
    schedule.at("c", 5.0)
    schedule.at("d", 20.0)
    assert schedule.due(10.0, busy={"c"}) == (["a"], 20.0)
    schedule.then("a", None)
    schedule.then("c", 12.0)  # its look (under way above) ends
    schedule.then("d", 40.0)
    assert len(schedule) == 3
    assert schedule.due(35.0, busy=()) == (["c", "b"], 40.0)


def test_a_key_is_handed_out_once_until_a_look_says_when_next() -> None:
    schedule = Schedule()
    for when in (50.0, 10.0, 10.0, 30.0):
        schedule.at("a", when)
    schedule.at("b", 20.0)
    assert schedule.due(15.0, busy=()) == ([], 20.0)  # "a" is due at 30 now, not 10
    assert schedule.due(30.0, busy={"b"}) == (["a"], None)
    assert schedule.due(30.0, busy=()) == ([], None)  # both are being looked at
    schedule.then("a", None)
    schedule.then("b", 31.0)
    assert schedule.due(100.0, busy=()) == (["b"], None)
    schedule.then("b", None)
    assert len(schedule) == 0


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
    worker = asyncio.create_task(scheduler.run(None, HeldClaims(), stop))  # type: ignore[arg-type]
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
    worker = asyncio.create_task(scheduler.run(None, HeldClaims(), stop))  # type: ignore[arg-type]
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


async def test_a_key_another_replica_holds_is_looked_at_once_it_let_go() -> None:
    now = [0.0]
    looks: list[tuple[str, float]] = []

    async def look_at(_filings: object, key: str) -> NextLook:
        looks.append((key, now[0]))
        return None

    elsewhere = {"k"}  # another replica works it now
    scheduler = Scheduler(look_at, 1, lambda: now[0], standby_seconds=5.0)  # type: ignore[arg-type]
    stop = asyncio.Event()
    claims = HeldClaims(elsewhere)
    worker = asyncio.create_task(scheduler.run(None, claims, stop))  # type: ignore[arg-type]
    scheduler.notice("k")
    for _ in range(20):
        await asyncio.sleep(0)
    assert looks == [] and scheduler.pending == 1  # not looked at: again after the standby
    elsewhere.discard("k")  # that replica is done, or gone
    now[0] = 5.0
    scheduler.notice("other")  # wakes the worker
    async with asyncio.timeout(2):
        while len(looks) < 2 or scheduler.in_flight:
            await asyncio.sleep(0.01)
    assert sorted(looks) == [("k", 5.0), ("other", 5.0)]
    assert elsewhere == set()  # each looked at under its claim, then let go
    stop.set()
    await worker


async def test_a_claim_is_kept_between_looks_close_together_and_given_up_after() -> None:
    now = [0.0]
    steps = iter([1.0, 2.0, 60.0, None])  # two next looks soon, one far off, then done
    looks: list[float] = []
    claimed: list[str] = []
    held = set[str]()

    class CountedClaims(HeldClaims):
        async def claim(self, key: str) -> bool:
            claimed.append(key)
            return await super().claim(key)

    async def look_at(_filings: object, key: str) -> NextLook:
        looks.append(now[0])
        return next(steps)

    scheduler = Scheduler(look_at, 1, lambda: now[0], standby_seconds=5.0)  # type: ignore[arg-type]
    stop = asyncio.Event()
    worker = asyncio.create_task(scheduler.run(None, CountedClaims(held), stop))  # type: ignore[arg-type]
    for moment, holds in ((0.0, True), (1.0, True), (2.0, False), (60.0, False)):
        now[0] = moment
        scheduler.notice("k")  # as when its time comes
        async with asyncio.timeout(2):
            while moment not in looks or scheduler.in_flight:
                await asyncio.sleep(0.01)
        assert ("k" in held) is holds, moment
    assert claimed.count("k") == 2  # once for the first three looks, once for the last
    stop.set()
    await worker


async def test_a_look_that_fails_unexpectedly_keeps_its_key_for_a_later_one() -> None:
    now = [0.0]
    looks: list[float] = []

    class FlakyClaims(HeldClaims):
        failed = False

        async def claim(self, key: str) -> bool:
            if not self.failed:
                self.failed = True
                raise RuntimeError("a claim failed in a way nobody foresaw")
            return await super().claim(key)

    async def look_at(_filings: object, key: str) -> NextLook:
        looks.append(now[0])
        return None

    scheduler = Scheduler(look_at, 1, lambda: now[0], standby_seconds=5.0)  # type: ignore[arg-type]
    stop = asyncio.Event()
    claims = FlakyClaims()
    worker = asyncio.create_task(scheduler.run(None, claims, stop))  # type: ignore[arg-type]
    scheduler.notice("k")
    async with asyncio.timeout(2):
        while not claims.failed or scheduler.in_flight:
            await asyncio.sleep(0.01)
    assert looks == [] and scheduler.pending == 1  # not lost: due again after the standby
    now[0] = 5.0
    scheduler.notice("other")  # wakes the worker
    async with asyncio.timeout(2):
        while len(looks) < 2 or scheduler.in_flight:
            await asyncio.sleep(0.01)
    assert looks == [5.0, 5.0] and scheduler.pending == 0
    stop.set()
    await worker


def test_a_time_said_while_the_key_still_counts_as_busy_comes_back_when_the_look_is_over() -> None:
    """A look's task has said when next (`then`) but its end is not yet seen by its worker:
    a look at the schedule then drops that entry, and the key must not be lost by it."""
    schedule = Schedule()
    schedule.at("k", 0.0)
    assert schedule.due(0.0, busy=()) == (["k"], None)
    schedule.then("k", 1.0)  # the look's last step: look again in a second
    assert schedule.due(0.5, busy={"k"}) == ([], None)  # its task has not been seen to end
    schedule.back("k")  # now it has
    assert schedule.due(1.0, busy=()) == (["k"], None)

"""Supervision of a service's parts: restarted with back-off, reported while down, and the
service told to exit when one does not recover."""

from __future__ import annotations

import asyncio

import pytest

from eventlog.retry import Backoff
from runtime.metrics import REGISTRY
from runtime.supervision import Part, Supervisor


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def supervisor(clock: Clock, *, give_up: float = 60.0) -> Supervisor:
    return Supervisor(
        "test",
        backoff=Backoff(first=0.001, cap=0.001),
        stable_seconds=5.0,
        give_up_seconds=give_up,
        clock=clock,
    )


async def eventually(holds, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not holds():
            await asyncio.sleep(0.005)


def restarts(part: str) -> float:
    labels = {"service": "test", "part": part}
    return REGISTRY.get_sample_value("onewindow_part_restarts_total", labels) or 0.0


async def test_a_failing_part_is_restarted_and_down_until_it_runs_stably() -> None:
    clock, runs = Clock(), []
    before = restarts("flaky")

    async def flaky(stop: asyncio.Event) -> None:
        runs.append(clock.now)
        if len(runs) <= 2:
            raise RuntimeError("boom")
        await stop.wait()

    watching = supervisor(clock)
    watching.start(Part("flaky", flaky))
    await eventually(lambda: len(runs) == 3)
    assert restarts("flaky") == before + 2
    assert watching.down() == {"flaky": 0.0}  # restarted, not yet stable
    clock.now += 4.9
    assert watching.down() == {"flaky": pytest.approx(4.9)}
    clock.now += 0.2
    assert watching.down() == {}  # ran 5 s without failing
    await watching.stop()
    assert not watching.gave_up.is_set()


async def test_a_part_that_returns_on_its_own_counts_as_failed() -> None:
    clock, runs = Clock(), []

    async def quits(stop: asyncio.Event) -> None:
        runs.append(1)
        if len(runs) > 1:
            await stop.wait()

    watching = supervisor(clock)
    watching.start(Part("quits", quits))
    await eventually(lambda: len(runs) == 2)
    assert "quits" in watching.down()
    await watching.stop()


async def test_a_part_down_too_long_makes_the_service_give_up() -> None:
    clock = Clock()

    async def broken(stop: asyncio.Event) -> None:
        raise OSError("database away")

    watching = supervisor(clock, give_up=0.02)
    watching.start(Part("broken", broken))
    await eventually(lambda: "broken" in watching.down())
    clock.now += 1
    async with asyncio.timeout(5):
        await watching.gave_up.wait()
    assert watching.gave_up_on == "broken"
    await watching.stop()


async def test_stopping_some_parts_leaves_the_others_running() -> None:
    clock, stopped = Clock(), []

    def part(name: str) -> Part:
        async def run(stop: asyncio.Event) -> None:
            await stop.wait()
            stopped.append(name)

        return Part(name, run)

    watching = supervisor(clock)
    for name in ("consumer", "relay"):
        watching.start(part(name))
    await asyncio.sleep(0)
    await watching.stop(["consumer"])
    assert stopped == ["consumer"]
    await watching.stop()
    assert stopped == ["consumer", "relay"]


def test_one_name_one_part() -> None:
    async def run(stop: asyncio.Event) -> None:
        await stop.wait()

    async def twice() -> None:
        watching = supervisor(Clock())
        watching.start(Part("relay", run))
        with pytest.raises(ValueError, match="relay"):
            watching.start(Part("relay", run))
        await watching.stop()

    asyncio.run(twice())

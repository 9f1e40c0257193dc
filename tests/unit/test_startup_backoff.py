"""Start-up's wait for PostgreSQL and Kafka: tries again on the one back-off until the time
is up, then raises what the last try raised."""

from __future__ import annotations

import pytest

from eventlog.retry import Backoff
from runtime.startup import with_backoff

QUICK = Backoff(first=0.001, cap=0.002)


async def test_tries_until_it_connects() -> None:
    tries: list[int] = []

    async def connect() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise ConnectionRefusedError("not yet")
        return "connected"

    assert await with_backoff("the thing", connect, timeout=5, backoff=QUICK) == "connected"
    assert len(tries) == 3


async def test_raises_the_last_failure_when_the_time_is_up() -> None:
    tries: list[int] = []

    async def connect() -> None:
        tries.append(1)
        raise ConnectionRefusedError(f"try {len(tries)}")

    with pytest.raises(ConnectionRefusedError) as failed:
        await with_backoff("the thing", connect, timeout=0.05, backoff=QUICK)
    assert len(tries) > 1 and str(failed.value) == f"try {len(tries)}"

"""One behaviour of the unit of work, held against both implementations: the in-memory one
handler tests use (tests/unit/test_unit_of_work.py) and the one on PostgreSQL
(tests/integration/test_unit_of_work.py)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from uuid import uuid4

import pytest

from eventlog.store import ConcurrencyConflict
from eventlog.unit_of_work import UnitOfWork
from tests.helpers import event


class Notes:
    """A kind of derived rows: what was noted, written at commit."""

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.written: list[str] = []

    def note(self, text: str) -> None:
        self.pending.append(text)

    async def flush(self) -> None:
        self.written += self.pending
        self.pending.clear()


class UnitOfWorkContract(ABC):
    @abstractmethod
    async def unit(self) -> UnitOfWork:
        """A new unit of work on the same log (and the same Notes) as the test's others."""

    @abstractmethod
    async def commit(self, uow: UnitOfWork) -> None:
        """Commit `uow` (its transaction, for PostgreSQL)."""

    @abstractmethod
    def notes(self) -> Notes:
        """The Notes every unit of work of this test hands out."""

    async def test_a_stream_never_written_is_empty_at_version_0(self) -> None:
        stream = await (await self.unit()).read(f"s-{uuid4()}")
        assert stream.version == 0 and not stream and stream.events == ()

    async def test_appends_are_seen_by_later_reads_and_written_at_commit(self) -> None:
        name, first, second = f"s-{uuid4()}", event(n=1), event(n=2)
        uow = await self.unit()
        uow.append(name, 0, [first])
        assert (await uow.read(name)).events == (first,)
        uow.append(name, 1, [second])
        assert (await (await self.unit()).read(name)).version == 0  # not before the commit
        await self.commit(uow)
        stored = await (await self.unit()).read(name)
        assert [e.event_id for e in stored.events] == [first.event_id, second.event_id]

    async def test_read_many_gives_every_stream_asked_for(self) -> None:
        a, b = f"s-{uuid4()}", f"s-{uuid4()}"
        writer = await self.unit()
        writer.append(a, 0, [event(n=1), event(n=2)])
        await self.commit(writer)
        streams = await (await self.unit()).read_many([a, b, a])
        assert list(streams) == [a, b]
        assert (streams[a].version, streams[b].version) == (2, 0)

    async def test_a_stale_expected_version_conflicts(self) -> None:
        name = f"s-{uuid4()}"
        uow = await self.unit()
        uow.append(name, 0, [event()])
        with pytest.raises(ConcurrencyConflict):
            uow.append(name, 0, [event()])  # the first append left version 1
        racing, late = await self.unit(), await self.unit()
        await late.read(name)
        racing.append(name, 0, [event()])
        await self.commit(racing)
        late.append(name, 0, [event()])  # it read before the other committed
        with pytest.raises(ConcurrencyConflict):
            await self.commit(late)

    async def test_derived_rows_are_written_at_commit_by_one_writer(self) -> None:
        uow = await self.unit()
        assert uow.derived(Notes) is uow.derived(Notes)
        uow.derived(Notes).note("a")
        uow.derived(Notes).note("b")
        assert self.notes().written == []
        await self.commit(uow)
        assert self.notes().written == ["a", "b"]

    async def test_after_commit_actions_run_once_committed(self) -> None:
        ran: list[str] = []
        uow = await self.unit()
        uow.after_commit(lambda: ran.append("counted"))
        uow.append(f"s-{uuid4()}", 0, [event()])
        assert ran == []
        await self.commit(uow)
        assert ran == ["counted"]

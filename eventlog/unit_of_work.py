"""The unit of work a handler is given: read streams, append events, keep derived rows, and
leave actions for after the commit. It does not hand out a connection.

What the handlers of a batch decide is collected and written once, when the batch commits:
every stream's new events in one append (eventlog/store.py), every kind of derived rows by
its own writer in one statement. Reads are cached for the batch, and `read_many` brings the
streams a batch touches in one round trip. So a batch costs a constant number of round
trips, however many events it holds.

Two implementations share one behaviour, held by one abstract test suite run against both
(tests/eventlog_contract.py): `PostgresUnitOfWork` (inside the inbox's transaction) and
`InMemoryUnitOfWork` (for unit tests of handlers; it keeps the streams in a dict).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

from contracts.envelope import Envelope
from eventlog.store import (
    ConcurrencyConflict,
    Connection,
    StreamAppend,
    append_streams,
    read_streams,
)


@dataclass(frozen=True)
class Stream:
    """A stream as this unit of work sees it: what was recorded, then what it appended."""

    stream_id: str
    events: tuple[Envelope, ...] = ()

    @property
    def version(self) -> int:
        return len(self.events)

    def __bool__(self) -> bool:
        return bool(self.events)


@dataclass(frozen=True)
class Mark:
    streams: dict[str, Stream]
    appends: dict[str, StreamAppend]
    actions: int
    writers: dict[type[Any], Any]


def _mark_of(writer: Derived) -> Any:
    mark = getattr(writer, "mark", None)
    return mark() if mark is not None else None


class Derived(Protocol):
    """The writer of one kind of a service's own rows (a read model, an index): it gathers
    what handlers hand it and writes it when the unit of work commits. A writer that can
    also `mark()` what it gathered and `rewind(mark)` to it (`rewind(None)`: to nothing) lets
    one event's work be taken back while the others' stays (`UnitOfWork.rewind`)."""

    async def flush(self) -> None: ...


D = TypeVar("D", bound=Derived)
# Builds a kind's writer on the unit's connection (PostgreSQL), or hands out a fake (tests).
DerivedFactory = Callable[[Connection], Derived]


class UnitOfWork(ABC):
    def __init__(self) -> None:
        self._streams: dict[str, Stream] = {}
        self._appends: dict[str, StreamAppend] = {}
        self.committed_actions: list[Callable[[], None]] = []

    async def read(self, stream_id: str) -> Stream:
        return (await self.read_many([stream_id]))[stream_id]

    async def read_many(self, stream_ids: Iterable[str]) -> dict[str, Stream]:
        """The streams, those not read yet in one round trip."""
        wanted = list(dict.fromkeys(stream_ids))
        missing = [s for s in wanted if s not in self._streams]
        if missing:
            loaded = await self._load(missing)
            for stream_id in missing:
                self._streams[stream_id] = Stream(stream_id, tuple(loaded.get(stream_id, ())))
        return {s: self._streams[s] for s in wanted}

    def append(self, stream_id: str, expected_version: int, events: Sequence[Envelope]) -> None:
        """Append at commit. A second append to a stream in one unit of work must expect
        the version the first one left."""
        if not events:
            return
        known = self._streams.get(stream_id)
        if known is not None and known.version != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, known.version)
        pending = self._appends.get(stream_id)
        if pending is None:
            self._appends[stream_id] = StreamAppend(stream_id, expected_version, list(events))
        else:
            if pending.expected_version + len(pending.events) != expected_version:
                actual = pending.expected_version + len(pending.events)
                raise ConcurrencyConflict(stream_id, expected_version, actual)
            self._appends[stream_id] = StreamAppend(
                stream_id, pending.expected_version, [*pending.events, *events]
            )
        before = known.events if known is not None else ()
        self._streams[stream_id] = Stream(stream_id, (*before, *events))

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this unit of work committed; never if it rolls back."""
        self.committed_actions.append(action)

    def mark(self) -> Mark:
        """What was done so far, to `rewind` to."""
        writers = {kind: _mark_of(w) for kind, w in self._writers().items()}
        return Mark(dict(self._streams), dict(self._appends), len(self.committed_actions), writers)

    def rewind(self, mark: Mark) -> bool:
        """Take back what was done since `mark`; False (nothing taken back) when a writer of
        derived rows touched since cannot rewind: then only rolling back the whole unit can."""
        writers = self._writers()
        if any(not hasattr(w, "rewind") for w in writers.values()):
            return False
        self._streams, self._appends = dict(mark.streams), dict(mark.appends)
        del self.committed_actions[mark.actions :]
        for kind, writer in writers.items():
            writer.rewind(mark.writers.get(kind))  # type: ignore[attr-defined]
        return True

    @abstractmethod
    def _writers(self) -> dict[type[Any], Derived]:
        """The writers of derived rows handed out so far."""

    @abstractmethod
    def derived(self, kind: type[D]) -> D:
        """This unit's writer of `kind` rows, the same one for the whole unit."""

    @abstractmethod
    async def _load(self, stream_ids: Sequence[str]) -> Mapping[str, Sequence[Envelope]]: ...

    @abstractmethod
    async def commit(self) -> None:
        """Write what was appended and derived (the caller commits the transaction)."""


class StreamCache:
    """Streams as committed, kept from one unit of work to the next of a consumer, so that a
    stream read again is read from the database only past the version kept: what is recorded
    never changes, and versions have no gaps. Only committed events enter it — those read,
    and those appended once their transaction committed — so it never holds one that a
    rolled-back batch made."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._streams: OrderedDict[str, tuple[Envelope, ...]] = OrderedDict()

    def get(self, stream_id: str) -> tuple[Envelope, ...]:
        return self._streams.get(stream_id, ())

    def put(self, stream_id: str, events: tuple[Envelope, ...]) -> None:
        if len(events) < len(self._streams.get(stream_id, ())):
            return  # an older look at the stream than the one kept
        self._streams[stream_id] = events
        self._streams.move_to_end(stream_id)
        while len(self._streams) > self.size:
            self._streams.popitem(last=False)


class PostgresUnitOfWork(UnitOfWork):
    def __init__(
        self,
        conn: Connection,
        factories: Mapping[type[Any], DerivedFactory] | None = None,
        cache: StreamCache | None = None,
    ) -> None:
        super().__init__()
        self._conn, self._factories = conn, dict(factories or {})
        self._cache = cache or StreamCache(0)
        self._derived: dict[type[Any], Derived] = {}

    def derived(self, kind: type[D]) -> D:
        if kind not in self._derived:
            factory = self._factories.get(kind)
            if factory is None:
                raise LookupError(f"no writer of {kind.__name__} rows is wired for this consumer")
            self._derived[kind] = factory(self._conn)
        writer = self._derived[kind]
        assert isinstance(writer, kind)
        return writer

    def _writers(self) -> dict[type[Any], Derived]:
        return self._derived

    async def _load(self, stream_ids: Sequence[str]) -> Mapping[str, Sequence[Envelope]]:
        kept = {s: self._cache.get(s) for s in stream_ids}
        newer = await read_streams(self._conn, stream_ids, {s: len(e) for s, e in kept.items()})
        loaded = {}
        for stream_id, events in kept.items():
            whole = (*events, *(r.envelope for r in newer.get(stream_id, ())))
            self._cache.put(stream_id, whole)
            loaded[stream_id] = whole
        return loaded

    async def commit(self) -> None:
        # The append last: it takes the schema's append lock, held to the end of the
        # transaction, so nothing else of the unit is written while every appender waits.
        for writer in self._derived.values():
            await writer.flush()
        appends = list(self._appends.values())
        await append_streams(self._conn, appends)
        for append in appends:  # in the cache once committed, never before
            whole = self._streams[append.stream_id].events
            self.after_commit(partial(self._cache.put, append.stream_id, whole))


@dataclass
class InMemoryLog:
    """Streams kept in memory, shared by the in-memory units of work of one test."""

    streams: dict[str, list[Envelope]] = field(default_factory=dict)

    def events(self) -> list[Envelope]:
        return [e for stream in self.streams.values() for e in stream]


class InMemoryUnitOfWork(UnitOfWork):
    """For handler unit tests: streams in an `InMemoryLog`, derived rows by fakes the test
    hands in (each fake's `flush` runs at commit, as on PostgreSQL)."""

    def __init__(self, log: InMemoryLog | None = None, derived: Iterable[Derived] = ()) -> None:
        super().__init__()
        self.log = log or InMemoryLog()
        self._fakes = {type(fake): fake for fake in derived}

    def derived(self, kind: type[D]) -> D:
        for fake_kind, fake in self._fakes.items():
            if issubclass(fake_kind, kind):
                assert isinstance(fake, kind)
                return fake
        raise LookupError(f"no fake of {kind.__name__} rows given to this unit of work")

    def _writers(self) -> dict[type[Any], Derived]:
        return dict(self._fakes)

    async def _load(self, stream_ids: Sequence[str]) -> Mapping[str, Sequence[Envelope]]:
        return {s: list(self.log.streams.get(s, ())) for s in stream_ids}

    async def commit(self) -> None:
        for append in self._appends.values():
            stored = self.log.streams.setdefault(append.stream_id, [])
            if len(stored) != append.expected_version:
                raise ConcurrencyConflict(append.stream_id, append.expected_version, len(stored))
        for append in self._appends.values():
            self.log.streams[append.stream_id].extend(append.events)
        for fake in self._fakes.values():
            await fake.flush()
        for action in self.committed_actions:
            action()

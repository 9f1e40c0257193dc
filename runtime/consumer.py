"""A Kafka consumer group that hands events to a handler through the inbox.

Offsets are committed only after the inbox transaction committed, so a crash between the
two redelivers events the inbox then drops. What goes wrong is told apart:

- a record that is not a valid event, and an event the handler declares Unprocessable,
  is a dead letter at once;
- a transient failure (the database or the broker away) is never the event's fault: the
  batch is fetched again after a back-off, for as long as it takes;
- any other failure of the handler is retried one event at a time, so the event that
  fails is found; after `max_attempts` it is a dead letter, and its partition moves on.

A consumer whose position does not follow what it handled — the record just before it is
gone, or is one this consumer never handled (the broker lost its data, and an offset from
before the loss was carried over) — reads that partition again from its start; its inbox
drops what it handled before. That is checked for every partition it is given, and every
few seconds for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from contracts.envelope import Envelope
from contracts.kafka import MalformedMessage, dead_letter_headers, from_kafka
from contracts.topics import DEAD_LETTER
from eventlog.broker_watch import event_id_of, records_at
from eventlog.dead_letters import DeadLetter, keep
from eventlog.inbox import Handler, Inbox, StreamsOf
from eventlog.retry import Backoff
from eventlog.store import DATABASE_AWAY, ConcurrencyConflict
from eventlog.unit_of_work import DerivedFactory, UnitOfWork
from runtime.metrics import CONSUMED, CONSUMER_FAILURES
from runtime.tracing import traced

log = structlog.get_logger()
Fetched = Mapping[TopicPartition, Sequence[ConsumerRecord]]
Decoded = dict[TopicPartition, list[tuple[ConsumerRecord, Envelope]]]

# Failures that say nothing about the event: the database or the broker is away or busy.
TRANSIENT = (*DATABASE_AWAY, ConcurrencyConflict, KafkaError)
POSITION_CHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Consumer:
    """One subscription of a service: consumer group `<service>.<name>`. `streams_of` names
    the streams the handler reads for an event (a batch reads them all at once); `derived`
    builds the writers of the service's own rows it hands to the unit of work. A consumer
    that does not own its topics (a projection of what others decide) keeps the records that
    are not events among its dead letters but leaves announcing them to the owner."""

    name: str
    topics: Sequence[str]
    handle: Handler
    owns_topics: bool = True
    streams_of: StreamsOf | None = None
    derived: Mapping[type[Any], DerivedFactory] = field(default_factory=dict)

    def inbox(self, pool: asyncpg.Pool, group: str) -> Inbox:
        return Inbox(pool, group, streams_of=self.streams_of, derived=self.derived)


class DeadLetters:
    """Keeps a dead letter in the service's schema (durable before the offset moves),
    then announces it on the dead-letter topic — unless `quiet`: a record that is not an
    event is announced by its topic's owner only."""

    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, consumer: str) -> None:
        self.pool, self.producer, self.consumer = pool, producer, consumer

    async def send(
        self,
        record: ConsumerRecord,
        reason: str,
        *,
        attempts: int = 1,
        envelope: Envelope | None = None,
        quiet: bool = False,
    ) -> None:
        headers = list(record.headers or ())
        letter = DeadLetter(
            self.consumer,
            record.topic,
            record.partition,
            record.offset,
            record.key,
            record.value,
            headers,
            reason,
            attempts,
            envelope.event_id if envelope else _event_id(record),
            envelope.event_type if envelope else None,
        )
        if not await keep(self.pool, letter):
            return  # a redelivery of a record this consumer kept already
        CONSUMED.labels(self.consumer, "dead_lettered").inc()
        log.warning(
            "dead-lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
            attempts=attempts,
        )
        if quiet:
            return
        source = f"{record.topic}/{record.partition}/{record.offset}"
        announced = dead_letter_headers(headers, reason, source, self.consumer, attempts)
        try:
            await self.producer.send_and_wait(
                DEAD_LETTER, record.value, key=record.key, headers=announced
            )
        except KafkaError as exc:  # kept in the schema all the same
            log.warning("dead letter not announced on its topic", error=repr(exc))


class ConsumerLoop:
    """The loop of one consumer group: a supervised part of its service."""

    def __init__(
        self,
        group: str,
        consumer: Consumer,
        inbox: Inbox,
        dead_letters: DeadLetters,
        *,
        bootstrap_servers: str,
        batch_size: int,
        max_attempts: int,
        backoff: Backoff,
        session_timeout_seconds: float = 10.0,
    ) -> None:
        self.group, self.consumer = group, consumer
        self.session_timeout_ms = int(session_timeout_seconds * 1000)
        self.inbox, self.dead_letters = inbox, dead_letters
        self.bootstrap_servers, self.batch_size = bootstrap_servers, batch_size
        self.max_attempts, self.backoff = max_attempts, backoff
        self.handler = traced(group, _logged(consumer.handle))
        self.kafka: AIOKafkaConsumer | None = None  # while running: for the lag metric
        self._stop = asyncio.Event()
        self._attempts: dict[UUID, int] = {}
        self._transient_failures = 0
        self._reader: AIOKafkaConsumer | None = None
        self._unverified: set[TopicPartition] = set()  # assigned, position not checked yet
        self._last: dict[TopicPartition, tuple[int, str]] = {}  # handled last: offset, event
        self._positions_checked = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        servers = self.bootstrap_servers
        kafka = AIOKafkaConsumer(
            bootstrap_servers=servers,
            group_id=self.group,
            client_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.batch_size,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=self.session_timeout_ms // 3,
            metadata_max_age_ms=10_000,  # topics made again after a broker loss are seen soon
        )
        kafka.subscribe(list(self.consumer.topics), listener=_Assigned(self._unverified))
        reader = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
        await kafka.start()
        await reader.start()
        self.kafka, self._reader = kafka, reader
        try:
            while not stop.is_set():
                fetched = await kafka.getmany(timeout_ms=500, max_records=self.batch_size)
                fetched = await self._where_it_follows(kafka, fetched)
                if fetched:
                    await self._consume(kafka, fetched)
        finally:
            self.kafka = None
            await reader.stop()
            await kafka.stop()

    async def _consume(self, kafka: AIOKafkaConsumer, fetched: Fetched) -> None:
        decoded = await self._decoded(fetched)
        envelopes = [envelope for pairs in decoded.values() for _, envelope in pairs]
        try:
            fresh, rejected = await self.inbox.process(envelopes, self.handler)
        except Exception as exc:
            if isinstance(exc, TRANSIENT):
                await self._wait_out(exc, kafka, {tp: rs[0].offset for tp, rs in fetched.items()})
            else:
                await self._one_at_a_time(kafka, fetched, decoded, exc)
            return
        self._transient_failures = 0
        await self._dead_letter(decoded, rejected)
        CONSUMED.labels(self.group, "processed").inc(fresh)
        CONSUMED.labels(self.group, "duplicate").inc(len(envelopes) - fresh - len(rejected))
        await self._commit(kafka, {tp: rs[-1].offset + 1 for tp, rs in fetched.items()}, fetched)

    async def _decoded(self, fetched: Fetched) -> Decoded:
        decoded: Decoded = {}
        for tp, records in fetched.items():
            pairs = decoded.setdefault(tp, [])
            for record in records:
                try:
                    envelope = from_kafka(record.key, record.value, record.headers or ())
                except MalformedMessage as exc:
                    quiet = not self.consumer.owns_topics
                    await self.dead_letters.send(record, str(exc), quiet=quiet)
                    continue
                pairs.append((record, envelope))
        return decoded

    async def _one_at_a_time(
        self, kafka: AIOKafkaConsumer, fetched: Fetched, decoded: Decoded, first: Exception
    ) -> None:
        """The batch failed: handle its events singly to find the one that fails."""
        log.warning("batch failed; handling its events one at a time", error=_said(first))
        done: dict[TopicPartition, int] = {}
        retry_after = 0
        for tp, pairs in decoded.items():
            done[tp] = fetched[tp][-1].offset + 1
            for record, envelope in pairs:
                try:
                    _, rejected = await self.inbox.process([envelope], self.handler)
                except Exception as exc:
                    if isinstance(exc, TRANSIENT):
                        await self._commit(kafka, done | {tp: record.offset}, fetched)
                        await self._wait_out(exc, kafka, _first_offsets(fetched, done, tp, record))
                        return
                    attempts = self._attempts.get(envelope.event_id, 0) + 1
                    CONSUMER_FAILURES.labels(self.group, "handler").inc()
                    if attempts < self.max_attempts:
                        self._attempts[envelope.event_id] = attempts
                        log.error(
                            "handler failed; the event comes again",
                            event_id=str(envelope.event_id),
                            event_type=envelope.event_type,
                            attempts=attempts,
                            exc_info=exc,
                        )
                        done[tp] = record.offset
                        kafka.seek(tp, record.offset)
                        retry_after = max(retry_after, attempts)
                        break
                    self._attempts.pop(envelope.event_id, None)
                    reason = f"{_said(exc)} (failed {attempts} times)"
                    await self.dead_letters.send(
                        record, reason, attempts=attempts, envelope=envelope
                    )
                    continue
                self._attempts.pop(envelope.event_id, None)
                await self._dead_letter(decoded, rejected)
                CONSUMED.labels(self.group, "processed").inc()
        await self._commit(kafka, done, fetched)
        if retry_after:
            await self._pause(self.backoff.delay(retry_after))

    async def _dead_letter(self, decoded: Decoded, rejected: list[tuple[Envelope, str]]) -> None:
        if not rejected:
            return
        records = {e.event_id: r for pairs in decoded.values() for r, e in pairs}
        for envelope, reason in rejected:
            await self.dead_letters.send(records[envelope.event_id], reason, envelope=envelope)

    async def _wait_out(
        self, exc: Exception, kafka: AIOKafkaConsumer, again_from: Mapping[TopicPartition, int]
    ) -> None:
        """A transient failure: fetch these partitions again from these offsets, later."""
        self._transient_failures += 1
        CONSUMER_FAILURES.labels(self.group, "transient").inc()
        delay = self.backoff.delay(self._transient_failures)
        log.warning("batch not handled now; fetched again", error=_said(exc), retry_in_s=delay)
        for tp, offset in again_from.items():
            with contextlib.suppress(KafkaError, AssertionError):  # revoked meanwhile
                kafka.seek(tp, offset)
        await self._pause(delay)

    async def _commit(
        self, kafka: AIOKafkaConsumer, offsets: Mapping[TopicPartition, int], fetched: Fetched
    ) -> None:
        for tp, offset in offsets.items():
            handled = [r for r in fetched.get(tp, ()) if r.offset < offset]
            if handled:
                self._last[tp] = (handled[-1].offset, event_id_of(handled[-1]))
        if not offsets:
            return
        try:
            await kafka.commit(dict(offsets))
        except KafkaError as exc:
            # What was handled stays handled; whoever reads the partition next sees those
            # events again and the inbox drops them.
            log.warning("offsets not committed", error=repr(exc))

    async def _where_it_follows(self, kafka: AIOKafkaConsumer, fetched: Fetched) -> Fetched:
        """The fetch, less the partitions read again from their start because their
        position does not follow what this consumer handled (checked for partitions just
        assigned, and every few seconds for all)."""
        now = time.monotonic()
        due = now - self._positions_checked >= POSITION_CHECK_SECONDS
        assigned = kafka.assignment()
        checked = (assigned if due else self._unverified) & assigned
        if due:
            self._positions_checked = now
        self._unverified -= checked
        if not checked:
            return fetched
        before = {
            tp: fetched[tp][0].offset if tp in fetched else await _position(kafka, tp)
            for tp in checked
        }
        behind = {tp: p - 1 for tp, p in before.items() if p}
        found = await records_at(self._reader, behind, POSITION_CHECK_SECONDS)
        lost = []
        for tp, offset in behind.items():
            if tp in found and not await self._handled_here(tp, offset, found[tp]):
                lost.append(tp)
        for tp in lost:
            log.warning(
                "position does not follow what was handled: the broker lost data;"
                " reading the partition again from its start",
                topic=tp.topic,
                partition=tp.partition,
            )
            self._last.pop(tp, None)
            await kafka.seek_to_beginning(tp)
        return {tp: records for tp, records in fetched.items() if tp not in lost}

    async def _handled_here(
        self, tp: TopicPartition, offset: int, record: ConsumerRecord | None
    ) -> bool:
        """Whether the record at `offset`, just before the position, is one this consumer
        handled: the one it handled last here, or one its inbox or dead letters know."""
        if record is None or record.offset != offset:
            return False
        if self._last.get(tp) == (offset, event_id_of(record)):
            return True
        event_id = _event_id(record)
        if event_id is None:
            return True  # names no event: nothing to tell by, and nothing to lose
        return event_id in await self.inbox.seen([event_id])

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)


async def _position(kafka: AIOKafkaConsumer, tp: TopicPartition) -> int | None:
    try:
        position: int = await asyncio.wait_for(kafka.position(tp), 0.5)
    except (AssertionError, KafkaError, TimeoutError):
        return None  # revoked meanwhile, or being reset: not known now
    return position


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]
    """Notes the partitions a rebalance hands this consumer, to check their positions."""

    def __init__(self, unverified: set[TopicPartition]) -> None:
        self.unverified = unverified

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        self.unverified -= set(revoked)

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        self.unverified |= set(assigned)


def _first_offsets(
    fetched: Fetched, done: Mapping[TopicPartition, int], tp: TopicPartition, at: ConsumerRecord
) -> dict[TopicPartition, int]:
    """Where to fetch again: `tp` from `at`, the partitions not reached yet from their
    first record."""
    again = {tp: at.offset}
    again.update({p: rs[0].offset for p, rs in fetched.items() if p not in done})
    return again


def _event_id(record: ConsumerRecord) -> UUID | None:
    """The event id a record that is not a valid event still names, if any."""
    try:
        return UUID(event_id_of(record))
    except ValueError:
        return None


def _said(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def by_event_type(handlers: Mapping[str, Handler]) -> Handler:
    """One handler per event type; events of other types pass by untouched."""

    async def dispatch(envelope: Envelope, uow: UnitOfWork) -> None:
        handler = handlers.get(envelope.event_type)
        if handler is not None:
            await handler(envelope, uow)

    return dispatch


def _logged(handle: Handler) -> Handler:
    async def handle_with_context(envelope: Envelope, uow: UnitOfWork) -> None:
        with structlog.contextvars.bound_contextvars(
            application_id=str(envelope.application_id), event_id=str(envelope.event_id)
        ):
            await handle(envelope, uow)

    return handle_with_context

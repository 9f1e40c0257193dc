"""A Kafka consumer group that hands events to a handler through the inbox.

Offsets are committed only after the inbox transaction committed, so a crash between the
two redelivers events the inbox then drops. What goes wrong is told apart:

- a record that is not a valid event, and an event the handler declares Unprocessable,
  is a dead letter at once;
- a transient failure (the database or the broker away) is never the event's fault: the
  batch is fetched again after a back-off, for as long as it takes;
- any other failure of the handler is retried one event at a time, so the event that
  fails is found; after `max_attempts` it is a dead letter, and its partition moves on.

A consumer whose committed offset lies beyond its partition's log end (the broker lost
its data and came back empty) reads that partition again from its start.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from contracts.envelope import Envelope
from contracts.kafka import MalformedMessage, dead_letter_headers, from_kafka
from contracts.topics import DEAD_LETTER
from eventlog.dead_letters import DeadLetter, keep
from eventlog.inbox import Handler, Inbox, StreamsOf
from eventlog.retry import Backoff
from eventlog.store import ConcurrencyConflict
from eventlog.unit_of_work import DerivedFactory, UnitOfWork
from runtime.database import DATABASE_AWAY
from runtime.metrics import CONSUMED, CONSUMER_FAILURES
from runtime.tracing import traced

log = structlog.get_logger()
Fetched = Mapping[TopicPartition, Sequence[ConsumerRecord]]
Decoded = dict[TopicPartition, list[tuple[ConsumerRecord, Envelope]]]

# Failures that say nothing about the event: the database or the broker is away or busy.
TRANSIENT = (*DATABASE_AWAY, ConcurrencyConflict, KafkaError)
LOG_END_CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class Consumer:
    """One subscription of a service: consumer group `<service>.<name>`. `streams_of` names
    the streams the handler reads for an event (a batch reads them all at once); `derived`
    builds the writers of the service's own rows it hands to the unit of work. A consumer
    that does not own its topics (a projection of what others decide) leaves records that
    are not events to the owner's dead letters instead of keeping a copy of its own."""

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
    then announces it on the dead-letter topic."""

    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, consumer: str) -> None:
        self.pool, self.producer, self.consumer = pool, producer, consumer

    async def send(
        self,
        record: ConsumerRecord,
        reason: str,
        *,
        attempts: int = 1,
        envelope: Envelope | None = None,
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
            envelope.event_id if envelope else None,
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
    ) -> None:
        self.group, self.consumer = group, consumer
        self.inbox, self.dead_letters = inbox, dead_letters
        self.bootstrap_servers, self.batch_size = bootstrap_servers, batch_size
        self.max_attempts, self.backoff = max_attempts, backoff
        self.handler = traced(group, _logged(consumer.handle))
        self.kafka: AIOKafkaConsumer | None = None  # while running: for the lag metric
        self._stop = asyncio.Event()
        self._attempts: dict[UUID, int] = {}
        self._transient_failures = 0
        self._past_end: set[TopicPartition] = set()
        self._log_ends_checked = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        kafka = AIOKafkaConsumer(
            *self.consumer.topics,
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group,
            client_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.batch_size,
            metadata_max_age_ms=10_000,  # topics made again after a broker loss are seen soon
        )
        await kafka.start()
        self.kafka = kafka
        try:
            while not stop.is_set():
                fetched = await kafka.getmany(timeout_ms=500, max_records=self.batch_size)
                if fetched:
                    await self._consume(kafka, fetched)
                else:
                    await self._mind_log_ends(kafka)
        finally:
            self.kafka = None
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
        await self._commit(kafka, {tp: rs[-1].offset + 1 for tp, rs in fetched.items()})

    async def _decoded(self, fetched: Fetched) -> Decoded:
        decoded: Decoded = {}
        for tp, records in fetched.items():
            pairs = decoded.setdefault(tp, [])
            for record in records:
                try:
                    envelope = from_kafka(record.key, record.value, record.headers or ())
                except MalformedMessage as exc:
                    if self.consumer.owns_topics:
                        await self.dead_letters.send(record, str(exc))
                    else:
                        log.debug("not an event; its topic's owner dead-letters it")
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
                        await self._commit(kafka, done | {tp: record.offset})
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
        await self._commit(kafka, done)
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

    async def _commit(self, kafka: AIOKafkaConsumer, offsets: Mapping[TopicPartition, int]) -> None:
        if not offsets:
            return
        try:
            await kafka.commit(dict(offsets))
        except KafkaError as exc:
            # What was handled stays handled; whoever reads the partition next sees those
            # events again and the inbox drops them.
            log.warning("offsets not committed", error=repr(exc))

    async def _mind_log_ends(self, kafka: AIOKafkaConsumer) -> None:
        """Read a partition again from its start when our offset is past its log end two
        looks in a row (one look could race a fetch that is moving both)."""
        now = time.monotonic()
        if now - self._log_ends_checked < LOG_END_CHECK_SECONDS:
            return
        self._log_ends_checked = now
        past_end = set()
        for tp in kafka.assignment():
            log_end = kafka.highwater(tp)
            position = await _position(kafka, tp)
            if log_end is not None and position is not None and position > log_end:
                past_end.add(tp)
        for tp in past_end & self._past_end:
            log.warning(
                "offset beyond the log end: the broker lost data; reading the partition again",
                topic=tp.topic,
                partition=tp.partition,
            )
            await kafka.seek_to_beginning(tp)
        self._past_end = past_end - self._past_end

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)


async def _position(kafka: AIOKafkaConsumer, tp: TopicPartition) -> int | None:
    try:
        position: int = await asyncio.wait_for(kafka.position(tp), 0.5)
    except (AssertionError, KafkaError, TimeoutError):
        return None  # revoked meanwhile, or being reset: not known now
    return position


def _first_offsets(
    fetched: Fetched, done: Mapping[TopicPartition, int], tp: TopicPartition, at: ConsumerRecord
) -> dict[TopicPartition, int]:
    """Where to fetch again: `tp` from `at`, the partitions not reached yet from their
    first record."""
    again = {tp: at.offset}
    again.update({p: rs[0].offset for p, rs in fetched.items() if p not in done})
    return again


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

"""Topic-consumer style (psb): the department reads ``onewindow.tasks.<dept>`` itself and answers
on ``onewindow.task-results``, following docs/legacy-integration.md only.

Tasks are worked concurrently, as a department's many clerks would: a stalled or delayed task
holds up no other — only the later tasks of its own filing, which wait for it (a cancel comes
after its dispatch). A partition's offset is committed up to the first task not yet done: each
task before it was answered (acknowledged by the broker) or skipped as malformed. An injected
fault delays the task (retried in place, doubling back-off): it is neither answered nor
committed until it gets through, so nothing is lost on a crash either. Every answer is stored
per (kind, filing key) before it is sent: a repeat gets the same record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from uuid6 import uuid7

from services.legacy_sim.config import LegacySimSettings
from services.legacy_sim.domain.decisions import FilingRequest
from services.legacy_sim.protocols.topic_answers import (
    AnswerRecord,
    answer_record,
    cancelled_answer,
    decision_answer,
)
from services.legacy_sim.protocols.topic_wire import (
    RESULTS_TOPIC,
    Cancel,
    Dispatch,
    MalformedTask,
    Task,
    read_task,
    tasks_topic,
)
from services.legacy_sim.simulator import Simulator

log = logging.getLogger("onewindow.legacy_sim.topic")
RECONNECT_SECONDS = 2.0
MAX_IN_FLIGHT = 500  # tasks worked at once


@dataclass
class ConsumerStatus:
    state: Literal["starting", "consuming", "reconnecting", "stopped", "failed"] = "starting"
    answered: int = 0
    delayed: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    last_error: str | None = None


class TopicConsumer:
    def __init__(self, sim: Simulator, department: str, settings: LegacySimSettings) -> None:
        self.sim, self.department, self.settings = sim, department, settings
        self.producer_name = f"legacy-{department}"
        self.status = ConsumerStatus()
        self.answers: dict[tuple[str, str], AnswerRecord] = {}
        sim.on_reset(self.answers.clear)

    async def run(self) -> None:
        """Consume until cancelled; a lost broker connection is retried, never fatal."""
        try:
            while True:
                try:
                    await self._consume()
                except KafkaError as e:
                    self.status.state, self.status.last_error = "reconnecting", repr(e)
                    log.warning("%s: Kafka trouble, reconnecting: %r", self.department, e)
                    await asyncio.sleep(RECONNECT_SECONDS)
        except asyncio.CancelledError:
            self.status.state = "stopped"
            raise
        except Exception as e:
            self.status.state, self.status.last_error = "failed", repr(e)
            log.exception("%s: the topic consumer failed", self.department)
            raise

    async def _consume(self) -> None:
        servers = self.settings.kafka_bootstrap_servers
        await self._ensure_topics()
        producer = AIOKafkaProducer(
            bootstrap_servers=servers, acks="all", client_id=self.producer_name
        )
        consumer = AIOKafkaConsumer(
            tasks_topic(self.department),
            bootstrap_servers=servers,
            group_id=self.settings.kafka_group_id,
            client_id=self.producer_name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await producer.start()
        try:
            await consumer.start()
            work = _Work()
            try:
                self.status.state, self.status.last_error = "consuming", None
                while True:
                    batch = await consumer.getmany(timeout_ms=200, max_records=MAX_IN_FLIGHT)
                    for records in batch.values():
                        for record in records:
                            work.start(record, self._take(record, producer))
                    if done := work.committable():
                        await consumer.commit(done)
                    if work.in_flight() >= MAX_IN_FLIGHT:
                        await work.any_done()
            finally:
                await work.cancel()
                await consumer.stop()
        finally:
            await producer.stop()

    async def _ensure_topics(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            wanted = {tasks_topic(self.department), RESULTS_TOPIC} - set(await admin.list_topics())
            partitions = self.settings.kafka_topic_partitions
            if wanted:
                try:
                    await admin.create_topics([NewTopic(t, partitions, 1) for t in sorted(wanted)])
                except TopicAlreadyExistsError:
                    pass  # OneWindow (or another stand-in) made it first
        finally:
            await admin.close()

    async def _take(self, record: Any, producer: AIOKafkaProducer) -> None:
        try:
            task = read_task(record.key, record.value, record.headers, self.department)
        except MalformedTask as e:
            where = {"partition": record.partition, "offset": record.offset}
            log.warning("%s: skipped a malformed record %s: %s", self.department, where, e)
            self.status.skipped = [*self.status.skipped[-49:], {**where, "reason": str(e)}]
            return
        answer = await self.answer(task)
        await producer.send_and_wait(
            RESULTS_TOPIC, answer.value, key=answer.key, headers=answer.headers
        )
        self.status.answered += 1

    async def answer(self, task: Task) -> AnswerRecord:
        payload = task.payload
        kind = "dispatch" if isinstance(payload, Dispatch) else "cancel"
        await self._admit(payload.filing_key if kind == "dispatch" else None)
        stored = self.answers.get((kind, payload.filing_key))
        if stored is not None:
            return stored
        if isinstance(payload, Dispatch):
            event_type, body = await self._file(task, payload)
        else:
            event_type, body = self._cancel(payload)
        answer = answer_record(
            task.envelope,
            event_type,
            body,
            producer=self.producer_name,
            event_id=uuid7(),
            now=datetime.now(UTC),
        )
        return self.answers.setdefault((kind, payload.filing_key), answer)

    async def _admit(self, key: str | None) -> None:
        backoff = self.settings.kafka_retry_backoff_ms / 1000
        cap = self.settings.kafka_retry_backoff_max_ms / 1000
        while (fault := await self.sim.admit(self.department, key)) is not None:
            self.status.delayed += 1
            log.info("%s: %s; the task is processed again later", self.department, fault.reason)
            await asyncio.sleep(min(backoff, cap))
            backoff *= 2

    async def _file(self, task: Task, payload: Dispatch) -> tuple[str, dict[str, Any]]:
        request = FilingRequest(
            department=self.department,
            idempotency_key=payload.filing_key,
            application_id=str(task.envelope.application_id),
            subtask=payload.subtask,
            inputs=payload.inputs,
            materials=payload.materials,
        )
        filing, _ = self.sim.file(request)
        await self.sim.stall_maybe(self.department)
        return decision_answer(filing)

    def _cancel(self, payload: Cancel) -> tuple[str, dict[str, Any]]:
        filing = self.sim.ledger.find_by_key(self.department, payload.filing_key)
        if filing is not None:
            filing = self.sim.ledger.cancel(self.department, filing.receipt)
        receipt = filing.receipt if filing else None
        return cancelled_answer(self.department, payload.subtask, payload.filing_key, receipt)


class _Work:
    """The tasks under way, by partition in offset order; a filing's tasks one after another."""

    def __init__(self) -> None:
        self._tasks: dict[TopicPartition, dict[int, asyncio.Task[None]]] = {}
        self._last_of_key: dict[bytes | None, asyncio.Task[None]] = {}

    def start(self, record: Any, take: Coroutine[Any, Any, None]) -> None:
        before = self._last_of_key.get(record.key)
        task = asyncio.create_task(_after(before, take))
        self._last_of_key[record.key] = task
        task.add_done_callback(partial(self._forget, record.key))
        self._tasks.setdefault(TopicPartition(record.topic, record.partition), {})[
            record.offset
        ] = task

    def _forget(self, key: bytes | None, task: asyncio.Task[None]) -> None:
        if self._last_of_key.get(key) is task:
            del self._last_of_key[key]

    def committable(self) -> dict[TopicPartition, int]:
        """Per partition, the offset after the done prefix (raises a failed task's error)."""
        done: dict[TopicPartition, int] = {}
        for tp, tasks in self._tasks.items():
            for offset in sorted(tasks):
                task = tasks[offset]
                if not task.done():
                    break
                task.result()
                del tasks[offset]
                done[tp] = offset + 1
        return done

    def in_flight(self) -> int:
        return sum(len(tasks) for tasks in self._tasks.values())

    async def any_done(self) -> None:
        pending = [t for tasks in self._tasks.values() for t in tasks.values() if not t.done()]
        if pending:
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)

    async def cancel(self) -> None:
        tasks = [t for tasks in self._tasks.values() for t in tasks.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _after(before: asyncio.Task[None] | None, take: Coroutine[Any, Any, None]) -> None:
    if before is not None:
        await asyncio.gather(before, return_exceptions=True)  # its failure is reported by itself
    await take

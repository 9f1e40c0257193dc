"""Topic-consumer style (psb): the department reads ``onewindow.tasks.<dept>`` itself and answers
on ``onewindow.task-results``, following docs/legacy-integration.md only.

A task's offset is committed after its answer was acknowledged by the broker, or after it was
skipped as malformed. An injected fault delays the task (retried in place, doubling back-off): it
is neither answered nor committed until it gets through, so nothing is lost on a crash either.
Every answer is stored per (kind, filing key) before it is sent: a repeat gets the same record.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
            try:
                self.status.state, self.status.last_error = "consuming", None
                async for record in consumer:
                    await self._take(record, producer)
                    position = TopicPartition(record.topic, record.partition)
                    await consumer.commit({position: record.offset + 1})
            finally:
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

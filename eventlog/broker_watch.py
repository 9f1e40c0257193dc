"""The relay's questions to Kafka beyond publishing: where each partition's log ends now,
and how far the watched consumer groups have committed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Mapping, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from eventlog.published import Marker
from eventlog.published import TopicPartition as Partition


class BrokerWatch:
    def __init__(
        self,
        bootstrap_servers: str,
        groups: Mapping[str, Sequence[str]],
        *,
        timeout_seconds: float = 10.0,
    ) -> None:
        """`groups`: each watched consumer group and the topics it reads."""
        self.bootstrap_servers, self.groups = bootstrap_servers, dict(groups)
        self.timeout = timeout_seconds
        self._admin: AIOKafkaAdminClient | None = None
        self._reader: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        timeout_ms = int(self.timeout * 1000)
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers, request_timeout_ms=timeout_ms
        )
        self._reader = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=timeout_ms,
        )
        await self._admin.start()
        await self._reader.start()

    async def stop(self) -> None:
        if self._reader is not None:
            await self._reader.stop()
        if self._admin is not None:
            await self._admin.close()
        self._admin = self._reader = None

    async def missing(self, markers: Mapping[Partition, Marker]) -> list[Partition]:
        """Partitions where the event acknowledged last is gone: its topic vanished, its
        log ends before it, or another record stands at its offset. (Reading the record
        itself, not asking for log ends: the bundled broker reports those wrongly.)"""
        assert self._reader is not None, "start() first"
        existing = set(await asyncio.wait_for(self._admin_topics(), self.timeout))
        gone = [tp for tp in markers if tp[0] not in existing]
        asked = {TopicPartition(*tp): m for tp, m in markers.items() if tp[0] in existing}
        if not asked:
            return gone
        found = await records_at(
            self._reader, {tp: m.offset for tp, m in asked.items()}, self.timeout
        )
        # a partition that gave no answer in time is no evidence of a loss
        gone += [
            (tp.topic, tp.partition)
            for tp, record in found.items()
            if record is None or not is_event_at(record, asked[tp].offset, asked[tp].event_id)
        ]
        return gone

    async def committed(self, partitions: Collection[Partition]) -> dict[Partition, int]:
        """Per partition, the smallest offset a group that reads its topic has committed; a
        group that committed nothing there counts as having consumed nothing. Partitions of
        topics no watched group reads are absent."""
        assert self._admin is not None, "start() first"
        smallest: dict[Partition, int] = {}
        for group, topics in self.groups.items():
            asked = [TopicPartition(t, p) for t, p in partitions if t in topics]
            if not asked:
                continue
            found = await asyncio.wait_for(
                self._admin.list_consumer_group_offsets(group, partitions=asked), self.timeout
            )
            for tp in asked:
                meta = found.get(tp)
                offset = meta.offset if meta is not None and meta.offset >= 0 else 0
                key = (tp.topic, tp.partition)
                smallest[key] = min(smallest.get(key, offset), offset)
        return smallest

    async def _admin_topics(self) -> list[str]:
        assert self._admin is not None
        topics: list[str] = await self._admin.list_topics()
        return topics


async def records_at(
    reader: AIOKafkaConsumer, offsets: Mapping[TopicPartition, int], timeout: float
) -> dict[TopicPartition, ConsumerRecord | None]:
    """With a consumer of no group: the record at each offset, or the first one after it,
    or None when the partition's log ends before it. A partition that gave no answer within
    `timeout` is absent."""
    reader.assign(list(offsets))
    for tp, offset in offsets.items():
        reader.seek(tp, offset)
    found: dict[TopicPartition, ConsumerRecord | None] = {}
    deadline = time.monotonic() + timeout
    while len(found) < len(offsets) and time.monotonic() < deadline:
        waiting = [tp for tp in offsets if tp not in found]
        batch = await reader.getmany(*waiting, timeout_ms=500, max_records=len(waiting))
        for tp, records in batch.items():
            found.setdefault(tp, records[0])
        for tp in waiting:
            end = reader.highwater(tp)
            if tp not in found and end is not None and end <= offsets[tp]:
                found[tp] = None
    return found


def event_id_of(record: ConsumerRecord) -> str:
    return next((v.decode() for k, v in record.headers or () if k == "event_id"), "")


def is_event_at(record: ConsumerRecord, offset: int, event_id: object) -> bool:
    return record.offset == offset and event_id_of(record) == str(event_id)

"""The relay's questions to Kafka beyond publishing: where each partition's log ends now,
and how far the watched consumer groups have committed."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from eventlog.published import TopicPartition as Partition


class BrokerWatch:
    def __init__(
        self, bootstrap_servers: str, groups: Sequence[str], *, timeout_seconds: float = 10.0
    ) -> None:
        self.bootstrap_servers, self.groups = bootstrap_servers, tuple(groups)
        self.timeout = timeout_seconds
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        timeout_ms = int(self.timeout * 1000)
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers, request_timeout_ms=timeout_ms
        )
        self._offsets = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=timeout_ms,
        )
        await self._admin.start()
        await self._offsets.start()

    async def stop(self) -> None:
        for client in (self._offsets, self._admin):
            if client is not None:
                await (client.stop() if isinstance(client, AIOKafkaConsumer) else client.close())
        self._admin = self._offsets = None

    async def log_ends(self, partitions: Collection[Partition]) -> dict[Partition, int]:
        """Where each partition's log ends now: 0 for a topic that vanished (its records
        are gone), nothing for a partition the topic no longer has."""
        assert self._offsets is not None, "start() first"
        existing = set(await asyncio.wait_for(self._admin_topics(), self.timeout))
        ends: dict[Partition, int] = {(t, p): 0 for t, p in partitions if t not in existing}
        asked = [TopicPartition(t, p) for t, p in partitions if t in existing]
        if asked:
            found = await asyncio.wait_for(self._offsets.end_offsets(asked), self.timeout)
            ends.update({(tp.topic, tp.partition): offset for tp, offset in found.items()})
        return ends

    async def committed(self, partitions: Collection[Partition]) -> dict[Partition, int]:
        """Per partition, the smallest offset committed by a watched group that committed
        there; partitions no watched group committed on are absent."""
        assert self._admin is not None, "start() first"
        asked = [TopicPartition(t, p) for t, p in partitions]
        smallest: dict[Partition, int] = {}
        for group in self.groups:
            found = await asyncio.wait_for(
                self._admin.list_consumer_group_offsets(group, partitions=asked), self.timeout
            )
            for tp, meta in found.items():
                if meta.offset is None or meta.offset < 0:
                    continue
                key = (tp.topic, tp.partition)
                smallest[key] = min(smallest.get(key, meta.offset), meta.offset)
        return smallest

    async def _admin_topics(self) -> list[str]:
        assert self._admin is not None
        topics: list[str] = await self._admin.list_topics()
        return topics

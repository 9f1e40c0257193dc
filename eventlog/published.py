"""What the relay knows of the broker: where its events landed, and which of them every
watched consumer group has consumed — the two facts that let it heal a broker that lost
its data without republishing the whole log.

Offsets of a partition only grow while the broker keeps its data. So an acknowledged offset
at or below one acknowledged before, or the event acknowledged last at an offset no longer
being there, means the broker lost records (a restart of Apache Kafka keeps them; the
bundled memory-only broker does not). What then
must go out again is every event a watched group may not have consumed: from the
*consumed position*, the smallest log position of an event of ours at or beyond some
group's committed offset. It only moves forward, and only on exact knowledge.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

TopicPartition = tuple[str, int]


@dataclass(frozen=True)
class Placed:
    """Where the broker put one event."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Marker:
    """The event acknowledged last in a partition, and its offset there."""

    offset: int
    event_id: UUID


@dataclass
class _Partition:
    # Our events in this partition from `complete_from` on, as ascending (offset, position)
    # pairs; events of ours below `complete_from` (from before a restart) are not listed.
    offsets: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    complete_from: int | None = None


class PublishedOffsets:
    """The relay's book of where its events went: the last acknowledged offset per
    partition (persisted with the checkpoint) and, since the relay started, each event's
    offset and position (in memory), trimmed as the groups consume them."""

    def __init__(self, last_acknowledged: Mapping[TopicPartition, Marker] | None = None) -> None:
        self.last_acknowledged: dict[TopicPartition, Marker] = dict(last_acknowledged or {})
        self._partitions: dict[TopicPartition, _Partition] = {}

    def acknowledged(self, placed: Iterable[tuple[int, UUID, Placed]]) -> list[TopicPartition]:
        """Book (position, event id, where it landed) of events the broker acknowledged, in
        order; returns the partitions whose offsets went backwards (the broker lost data)."""
        lost: list[TopicPartition] = []
        for position, event_id, where in placed:
            tp = (where.topic, where.partition)
            last = self.last_acknowledged.get(tp)
            if last is not None and where.offset <= last.offset and tp not in lost:
                lost.append(tp)
            self.last_acknowledged[tp] = Marker(where.offset, event_id)
            book = self._partitions.setdefault(tp, _Partition())
            if book.complete_from is None:
                book.complete_from = where.offset
            if book.offsets and where.offset <= book.offsets[-1]:
                book.offsets.clear()
                book.positions.clear()
                book.complete_from = where.offset
            book.offsets.append(where.offset)
            book.positions.append(position)
        return lost

    def consumed_position(
        self, committed: Mapping[TopicPartition, int], known: int, next_unpublished: int
    ) -> int:
        """The smallest position of an event of ours some group may not have consumed,
        given each partition's smallest committed offset among the groups that read it (a
        partition no watched group reads is absent). `known` is the consumed position
        known so far; the answer is never below it. Consumed entries are forgotten."""
        position = next_unpublished
        for tp, last in self.last_acknowledged.items():
            offset = committed.get(tp)
            if offset is not None and offset > last.offset:
                self._forget_below(tp, offset)
                continue  # every event of ours there is consumed
            book = self._partitions.get(tp)
            if offset is None or book is None or book.complete_from is None:
                return known  # this partition may hold unconsumed events we cannot place
            if offset < book.complete_from:
                return known
            self._forget_below(tp, offset)
            if book.positions:
                position = min(position, book.positions[0])
        return max(position, known)

    def forget(self) -> None:
        """After the broker lost data: start the book afresh."""
        self.last_acknowledged.clear()
        self._partitions.clear()

    def _forget_below(self, tp: TopicPartition, offset: int) -> None:
        book = self._partitions.get(tp)
        if book is None:
            return
        cut = bisect.bisect_left(book.offsets, offset)
        del book.offsets[:cut], book.positions[:cut]


def markers_for_storage(markers: Mapping[TopicPartition, Marker]) -> dict[str, list[int | str]]:
    return {f"{t}/{p}": [m.offset, str(m.event_id)] for (t, p), m in markers.items()}


def markers_from_storage(stored: Mapping[str, list[int | str]]) -> dict[TopicPartition, Marker]:
    decoded: dict[TopicPartition, Marker] = {}
    for key, (offset, event_id) in stored.items():
        topic, _, partition = key.rpartition("/")
        decoded[(topic, int(partition))] = Marker(int(offset), UUID(str(event_id)))
    return decoded

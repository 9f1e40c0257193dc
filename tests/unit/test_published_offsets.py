"""The relay's book of where its events landed: a broker that lost data is noticed, and
what must go out again is bounded by what the watched groups consumed."""

from __future__ import annotations

import json
from uuid import uuid4

from eventlog.published import (
    Marker,
    Placed,
    PublishedOffsets,
    markers_for_storage,
    markers_from_storage,
)
from eventlog.retry import Backoff

T = "onewindow.outcomes"


def at(position: int, partition: int, offset: int) -> tuple[int, object, Placed]:
    return position, uuid4(), Placed(T, partition, offset)


def book(*placed: tuple[int, int, int]) -> PublishedOffsets:
    """(position, partition, offset) of each acknowledged event."""
    offsets = PublishedOffsets()
    assert offsets.acknowledged(at(*p) for p in placed) == []  # type: ignore[misc]
    return offsets


def test_offsets_going_backwards_mean_the_broker_lost_data() -> None:
    offsets = book((1, 0, 10), (2, 1, 4), (3, 0, 11))
    assert offsets.acknowledged([at(4, 1, 5)]) == []  # type: ignore[list-item]
    assert offsets.acknowledged([at(5, 0, 0), at(6, 0, 1)]) == [(T, 0)]  # type: ignore[list-item]


def test_the_last_event_of_each_partition_is_its_marker() -> None:
    offsets = PublishedOffsets()
    last = uuid4()
    offsets.acknowledged([(1, uuid4(), Placed(T, 0, 10)), (2, last, Placed(T, 0, 11))])
    assert offsets.last_acknowledged == {(T, 0): Marker(11, last)}


def test_the_consumed_position_is_the_first_event_some_group_has_not_consumed() -> None:
    offsets = book((1, 0, 10), (2, 1, 4), (3, 0, 11), (4, 1, 5), (5, 0, 12))
    # partition 0 consumed up to offset 11 (position 3 waits), partition 1 all consumed
    assert offsets.consumed_position({(T, 0): 11, (T, 1): 6}, known=1, next_unpublished=6) == 3
    # everything consumed: nothing published so far needs to go out again
    assert offsets.consumed_position({(T, 0): 13, (T, 1): 6}, known=3, next_unpublished=6) == 6


def test_a_partition_no_group_committed_on_holds_the_consumed_position() -> None:
    offsets = book((1, 0, 10), (2, 1, 4))
    assert offsets.consumed_position({(T, 0): 11}, known=1, next_unpublished=3) == 1


def test_after_a_restart_events_from_before_are_not_guessed_at() -> None:
    # before the restart: offsets up to 20 on partition 0 (positions unknown now)
    offsets = PublishedOffsets({(T, 0): Marker(20, uuid4())})
    offsets.acknowledged([(50, uuid4(), Placed(T, 0, 21)), (51, uuid4(), Placed(T, 0, 22))])
    # a group is still at 15: events of ours below 21 may wait, their positions unknown
    assert offsets.consumed_position({(T, 0): 15}, known=30, next_unpublished=52) == 30
    # once it passed 21, what waits is known exactly
    assert offsets.consumed_position({(T, 0): 22}, known=30, next_unpublished=52) == 51
    # and the consumed position never goes back
    assert offsets.consumed_position({(T, 0): 22}, known=52, next_unpublished=52) == 52


def test_markers_survive_a_restart_as_json() -> None:
    markers = {(T, 0): Marker(10, uuid4()), ("onewindow.tasks.amr", 3): Marker(7, uuid4())}
    assert markers_from_storage(json.loads(json.dumps(markers_for_storage(markers)))) == markers


def test_back_off_grows_with_full_jitter_up_to_its_cap() -> None:
    highest = Backoff(first=0.5, cap=4.0, draw=lambda: 0.999999)
    assert [round(highest.delay(n), 2) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert Backoff(first=0.5, cap=4.0, draw=lambda: 0.0).delay(3) == 0.0

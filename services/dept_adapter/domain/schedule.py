"""When each filing (or lookup) is next due a look, on one clock.

A schedule belongs to one worker; what a look decides comes back to it as a `NextLook`.
"""

from __future__ import annotations

import heapq
from collections.abc import Container

# The clock time to look at a key again; None: not until something new is recorded for it.
NextLook = float | None


class Schedule:
    """Keys by when they are due, in a heap: a look at the schedule costs in proportion to
    what falls due, not to every key waiting (thousands wait for callbacks). An entry whose
    key was scheduled anew since is stale and dropped when it comes up."""

    def __init__(self) -> None:
        self._due: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._due)

    def at(self, key: str, when: float) -> None:
        self._due[key] = when
        heapq.heappush(self._heap, (when, key))
        if len(self._heap) > 2 * len(self._due) + 1000:
            self._heap = [(w, k) for k, w in self._due.items()]
            heapq.heapify(self._heap)

    def then(self, key: str, next_look: NextLook) -> None:
        if next_look is None:
            self._due.pop(key, None)
        else:
            self.at(key, next_look)

    def back(self, key: str) -> None:
        """A look at `key` is over: its time goes back into the heap. A look may have said
        when next (`then`) while it still counted as busy, and `due` dropped that entry."""
        when = self._due.get(key)
        if when is not None:
            heapq.heappush(self._heap, (when, key))

    def due(self, now: float, busy: Container[str]) -> tuple[list[str], float | None]:
        """The keys due by `now` that are not `busy`, and when the next other one falls due.

        The keys returned, and busy ones come across, leave the heap (not the schedule):
        each is being looked at, and once the look is over its worker puts it `back`."""
        ready: list[str] = []
        handed: set[str] = set()  # a key may have two entries of one time
        while self._heap:
            when, key = self._heap[0]
            if self._due.get(key) != when:
                heapq.heappop(self._heap)  # stale
            elif key in busy or key in handed:
                heapq.heappop(self._heap)
            elif when <= now:
                heapq.heappop(self._heap)
                ready.append(key)
                handed.add(key)
            else:
                return ready, when
        return ready, None

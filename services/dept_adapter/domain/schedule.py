"""When each filing (or lookup) is next due a look, on one clock.

A schedule belongs to one worker; what a look decides comes back to it as a `NextLook`.
"""

from __future__ import annotations

from collections.abc import Container

# The clock time to look at a key again; None: not until something new is recorded for it.
NextLook = float | None


class Schedule:
    def __init__(self) -> None:
        self._due: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._due)

    def at(self, key: str, when: float) -> None:
        self._due[key] = when

    def then(self, key: str, next_look: NextLook) -> None:
        if next_look is None:
            self._due.pop(key, None)
        else:
            self._due[key] = next_look

    def due(self, now: float, busy: Container[str]) -> tuple[list[str], float | None]:
        """The keys due by `now` that are not `busy`, and when the next other one falls due."""
        ready, soonest = [], None
        for key, when in self._due.items():
            if key in busy:
                continue
            if when <= now:
                ready.append(key)
            elif soonest is None or when < soonest:
                soonest = when
        return ready, soonest

"""When each application is offered: at a fixed rate, or as fast as intake accepts them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pace:
    rate: float | None  # applications per second; None: as fast as accepted

    @classmethod
    def parse(cls, text: str) -> Pace:
        """``max`` or a positive number of applications per second."""
        if text.strip().lower() == "max":
            return cls(None)
        try:
            rate = float(text)
        except ValueError:
            rate = 0.0
        if not rate > 0:
            raise ValueError(f"rate must be a positive number per second or 'max', not {text!r}")
        return cls(rate)

    def due(self, index: int) -> float:
        """Seconds after the first offer at which offer ``index`` (from 0) is due. Offers are
        scheduled from the start, not from the previous one, so a late offer does not shift
        the ones after it: the rate holds over the whole window."""
        return 0.0 if self.rate is None else index / self.rate

    def __str__(self) -> str:
        return "max" if self.rate is None else f"{self.rate:g}/s"

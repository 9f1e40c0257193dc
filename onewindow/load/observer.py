"""Where the one results are observed: the applicant's end, a webhook receiver. Each offer asks
for its result at a path of its own, so a delivery names its application by where it came."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from onewindow.demo_view import OUTCOME_NOTICES
from onewindow.webhook import Delivery, WebhookReceiver

PREFIX = "results/"


@dataclass
class Arrivals:
    """What one application's webhook path received."""

    outcomes: list[Delivery] = field(default_factory=list)  # result, rejection, ...
    others: list[Delivery] = field(default_factory=list)  # e.g. a supplement notice

    @property
    def first_outcome_at(self) -> float | None:
        return self.outcomes[0].received_at if self.outcomes else None

    @property
    def distinct_outcomes(self) -> int:
        """Outcome notices by delivery id: a resend of one notice counts once."""
        return len({_delivery_id(d) for d in self.outcomes})

    @property
    def resends(self) -> int:
        """Deliveries of a notice (same delivery id) received again."""
        every = self.outcomes + self.others
        return len(every) - len({_delivery_id(d) for d in every})


def _delivery_id(delivery: Delivery) -> str:
    return str(delivery.body.get("delivery_id") or delivery.headers.get("x-onewindow-delivery"))


class ResultObserver:
    def __init__(self, secret: str, port: int) -> None:
        self.receiver = WebhookReceiver(secret, port)
        self.by_key: dict[str, Arrivals] = {}
        self.unsigned = 0  # deliveries whose signature did not verify
        self.strays = 0  # deliveries to a path no offer asked for
        self._read = 0

    def url(self, key: str) -> str:
        return self.receiver.url(PREFIX + key)

    def refresh(self) -> None:
        """Take in what arrived since the last call."""
        arrived = self.receiver.deliveries[self._read :]
        self._read += len(arrived)
        for delivery in arrived:
            self.unsigned += not delivery.signature_valid
            key = delivery.path.removeprefix("/" + PREFIX)
            if key == delivery.path:
                self.strays += 1
                continue
            arrivals = self.by_key.setdefault(key, Arrivals())
            kind = delivery.body.get("kind")
            (arrivals.outcomes if kind in OUTCOME_NOTICES else arrivals.others).append(delivery)

    def results(self) -> int:
        """Applications whose one result (an outcome notice) arrived."""
        self.refresh()
        return sum(1 for a in self.by_key.values() if a.outcomes)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[ResultObserver]:
        async with self.receiver.running():
            yield self

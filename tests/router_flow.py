"""One application driven through the router's pure functions, exactly as the handler
drives it: what the router's unit tests share."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from uuid6 import uuid7

from contracts.calendar import load_calendar
from contracts.catalog import EXAMPLES_DIR, load_catalog
from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationSubmitted,
    Delivery,
    MissingMaterial,
    RegisterLookupRequested,
    ResultIgnored,
    SubtaskCompleted,
    SupplementRequested,
)
from services.router.domain.deadlines import Timing
from services.router.domain.events import LibraryCertificate
from services.router.domain.planning import advance, decide_on
from services.router.domain.process import Process, start
from services.router.domain.recording import started
from services.router.domain.replay import mutate
from services.router.domain.supervision import overdue
from tests.registers import agreeing

CATALOG = load_catalog()
CALENDAR = load_calendar()
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class Flow:
    """One application of a matter, driven through the router's pure functions. Its lookups
    of register records are answered at once by a register that agrees with the form
    (tests/registers.py), unless `answering` is off; `unavailable` registers cannot be read,
    `changed` records differ from the form."""

    def __init__(
        self,
        matter: str = "business-startup",
        materials: tuple[str, ...] = (),
        now: datetime = MONDAY,
        *,
        answering: bool = True,
        unavailable: frozenset[str] = frozenset(),
        changed: dict[tuple[str, str], Any] | None = None,
        form: dict[str, Any] | None = None,
        library: tuple[LibraryCertificate, ...] = (),
        **extra: Any,
    ) -> None:
        example = json.loads((EXAMPLES_DIR / f"{matter}.json").read_text())
        self.application_id = uuid7()
        self.matter = CATALOG.matter(matter)
        self.now = now  # the injected clock: a test moves it
        self.answering, self.unavailable, self.changed = answering, unavailable, changed
        self.history: list[Event] = []  # every event recorded, in order
        self.applicant: dict[str, Any] = example["applicant"]
        submitted = ApplicationSubmitted(
            matter=matter, channel="web", client="web-portal", receipt_number="YC1",
            applicant=example["applicant"], form=form or example["form"], materials=materials,
            delivery=Delivery(channel="email", address="chen@example.cn"), **extra,
        )  # fmt: skip
        first = started(submitted, self.now, library)
        self.process: Process = start(str(self.application_id), first, self.matter)
        self.decided = self._apply([first, *advance(self.process, self.matter, self.timing)])

    @property
    def timing(self) -> Timing:
        return Timing(CALENDAR, self.now)

    def _apply(self, events: list[Event]) -> list[Event]:
        for event in events:
            self.process = mutate(self.process, event)
        self.history.extend(events)
        answers = []
        for asked in of(RegisterLookupRequested, events) if self.answering else []:
            answers += self.answer(asked)
        return [*events, *answers]

    def answer(self, asked: RegisterLookupRequested) -> list[Event]:
        """As dept_adapter answers a lookup, from a register agreeing with the form."""
        return self.receive(
            agreeing(self.matter, self.process.form, asked, applicant=self.applicant,
                     unavailable=self.unavailable, changed=self.changed)
        )  # fmt: skip

    def receive(self, event: Event) -> list[Event]:
        """As the handler does: the clocks brought up to now, then the fact recorded."""
        envelope = Envelope.new(
            event, application_id=self.application_id, producer="test"
        ).model_copy(update={"occurred_at": self.now})
        caught_up = self.tick(self.now)
        return [
            *caught_up,
            *self._apply(decide_on(self.process, self.matter, envelope, self.timing)),
        ]

    def tick(self, now: datetime) -> list[Event]:
        """As the ticker does at `now`."""
        self.now = now
        return self._apply(overdue(self.process, self.matter, self.timing))

    def key(self, subtask: str) -> str:
        key = self.process.subtasks[subtask].filing_key
        assert key is not None
        return key

    def complete(self, subtask: str, **outputs: Any) -> list[Event]:
        dept = self.matter.subtask(subtask).department
        return self.receive(
            SubtaskCompleted(
                subtask=subtask, department=dept, filing_key=self.key(subtask), outputs=outputs
            )
        )

    def supplement(self, subtask: str, code: str) -> list[Event]:
        dept = self.matter.subtask(subtask).department
        missing = MissingMaterial(code=code, name=code, reason=f"{dept} needs {code}")
        return self.receive(
            SupplementRequested(
                subtask=subtask, department=dept, filing_key=self.key(subtask), materials=(missing,)
            )
        )


def of(kind: type[Event], events: list[Event]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def ignored(events: list[Event]) -> list[str]:
    """Why each answer among `events` was ignored; every event of them is such a record."""
    assert all(isinstance(e, ResultIgnored) for e in events), events
    return [e.reason for e in of(ResultIgnored, events)]


LICENCE = {
    "credit_code": "91330106MA2H3XYZ0A",
    "licence_number": "330106000123456",
    "company_name": "杭州一窗科技有限公司",
    "established_on": "2026-11-23",
}

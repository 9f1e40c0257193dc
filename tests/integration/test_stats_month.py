"""Statistics over a generated month of applications (real PostgreSQL): the projection's
figures equal figures computed here, independently, from the same generated inputs; a
rebuilt projection gives identical statistics; `onewindow stats` prints the same."""

from __future__ import annotations

import asyncio
import json
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from typer.testing import CliRunner
from uuid6 import uuid7

from contracts.calendar import load_calendar
from contracts.catalog import EXAMPLES_DIR, Matter, load_catalog
from contracts.envelope import Envelope, Event
from contracts.events import (
    ApplicationEvaluated,
    ApplicationSubmitted,
    Delivery,
    EvidenceChecked,
    MaterialObtained,
    MaterialsHandedIn,
    OutcomeDecided,
    ResultCollected,
    ResultRecorded,
    SubtaskCompleted,
    SubtaskDispatched,
    SupplementSubmitted,
)
from eventlog.migrate import migrate_async
from eventlog.store import StreamAppend, append_streams
from onewindow.cli import app as cli
from services.intake.adapters.projection import apply
from services.intake.adapters.rebuild import rebuild_read_model
from services.intake.adapters.statistics import statistics
from services.intake.bootstrap import MIGRATIONS

CATALOG, CALENDAR = load_catalog(), load_calendar()
ZONE = CALENDAR.zone
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
DELIVERY = Delivery(channel="sms", address="13857101234")


@dataclass
class Filing:
    department: str
    dispatched: datetime
    due: datetime
    completed: datetime | None


@dataclass
class Generated:
    """One application as generated: the inputs the expected figures are computed from."""

    matter: Matter
    decided_at: datetime
    decision: str
    working_days: float | None
    on_time: bool | None
    visits: int = 0
    rating: int | None = None
    rated_by_clerk: bool = False
    brought: set[str] = field(default_factory=set)
    obtained: set[str] = field(default_factory=set)  # fetched or taken from the library
    filings: list[Filing] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)


def _at(application_id: UUID, event: Event, producer: str, when: datetime) -> Envelope:
    envelope = Envelope.new(event, application_id=application_id, producer=producer)
    return envelope.model_copy(update={"occurred_at": when})


def _decided_at(rng: random.Random, i: int) -> datetime:
    """Four at the edges of the month in Shanghai time (their UTC dates differ), then any day
    from two days before March to three days after it."""
    edges = [datetime(2026, 3, 31, 23, 30), datetime(2026, 4, 1, 0, 30),
             datetime(2026, 3, 1, 0, 15), datetime(2026, 2, 28, 23, 45)]  # fmt: skip
    if i < len(edges):
        return edges[i].replace(tzinfo=ZONE)
    day = date(2026, 2, 27) + timedelta(days=rng.randint(0, 36))
    return datetime.combine(day, time(rng.randint(0, 23), rng.randint(0, 59)), ZONE)


def generate(rng: random.Random, i: int) -> Generated:
    matter = rng.choice(list(CATALOG.matters.values()))
    app, decided_at = uuid7(), _decided_at(rng, i)
    decision = rng.choices(["approved", "rejected", "withdrawn", "lapsed"], [80, 10, 5, 5])[0]
    made = Generated(
        matter,
        decided_at,
        decision,
        working_days=None if rng.random() < 0.05 else round(rng.uniform(0.1, 8.0), 3),
        on_time=None if rng.random() < 0.05 else rng.random() < 0.8,
    )

    def add(event: Event, producer: str, when: datetime) -> None:
        made.envelopes.append(_at(app, event, producer, when))

    submitted_at = decided_at - timedelta(days=rng.uniform(2, 6))
    channel = rng.choice(["window", "web", "mobile", "kiosk"])
    collection = rng.choice(["electronic", "pickup", "express"])
    brings = [m for m in matter.materials if not m.spared]
    deferred = [m.code for m in brings if not m.key and rng.random() < 0.3][:1]
    materials = [m.code for m in brings if m.code not in deferred and rng.random() < 0.8]
    example = json.loads((EXAMPLES_DIR / f"{matter.code}.json").read_text(encoding="utf-8"))
    add(ApplicationSubmitted(
        matter=matter.code, channel=channel, client=f"{channel}-gen", receipt_number=f"YC{i}",
        applicant=example["applicant"], form=example["form"], materials=tuple(materials),
        delivery=DELIVERY, in_person=channel == "window", collection=collection,
        deferred_materials=tuple(deferred),
        materials_promised_by=(submitted_at + timedelta(days=5)).date() if deferred else None,
    ), "intake", submitted_at)  # fmt: skip
    made.visits += channel == "window"
    made.brought.update(materials)
    # the evidence: most registers answer; a register down means the applicant brings it
    fetched = [m for m in matter.materials if m.fetched]
    obtained = tuple(
        MaterialObtained(
            material=m.code,
            subtasks=(matter.subtasks[0].code,),
            via=("e-certificate" if m.certificate_kind else "register")
            if rng.random() < 0.9
            else "applicant",
        )
        for m in fetched
    )
    add(EvidenceChecked(materials=obtained), "router", submitted_at + timedelta(minutes=1))
    made.obtained.update(m.material for m in obtained if m.via != "applicant")
    for n, subtask in enumerate(matter.subtasks):
        dispatched = submitted_at + timedelta(hours=rng.uniform(0.1, 12))
        due = CALENDAR.deadline(dispatched, subtask.time_limit_days)
        done = decision == "approved" or rng.random() < 0.5
        completed = dispatched + timedelta(hours=rng.uniform(1, 72)) if done else None
        made.filings.append(Filing(subtask.department, dispatched, due, completed))
        key = f"{app}:{subtask.code}:1"
        add(SubtaskDispatched(
            subtask=subtask.code, department=subtask.department, title=subtask.title,
            filing_key=key, inputs={}, time_limit_days=subtask.time_limit_days, due_at=due,
        ), "router", dispatched)  # fmt: skip
        if completed:
            result = SubtaskCompleted(subtask=subtask.code, department=subtask.department,
                                      filing_key=key, outputs={"n": n})  # fmt: skip
            answer = _at(app, result, "dept_adapter", completed)
            add(ResultRecorded(result=answer), "router", completed)  # as the router applied it
    if rng.random() < 0.3:  # a supplement: may bring a material data sharing failed to give
        brought = rng.choice(matter.materials).code
        at_window = rng.random() < 0.5
        add(SupplementSubmitted(notice_id="S1", materials=(brought,), in_person=at_window),
            "intake", submitted_at + timedelta(hours=20))  # fmt: skip
        made.visits += at_window
        made.brought.add(brought)
    if deferred and rng.random() < 0.7:
        at_window = rng.random() < 0.6
        add(MaterialsHandedIn(materials=tuple(deferred), in_person=at_window),
            "intake", decided_at - timedelta(hours=1))  # fmt: skip
        made.visits += at_window
        made.brought.update(deferred)
    add(OutcomeDecided(
        matter=matter.code, matter_name=matter.name, receipt_number=f"YC{i}",
        applicant_name="陈思远", delivery=DELIVERY, decision=decision,
        working_days=made.working_days, on_time=made.on_time,
    ), "router", decided_at)  # fmt: skip
    if decision == "approved" and collection != "electronic" and rng.random() < 0.8:
        pickup = collection == "pickup"
        add(ResultCollected(method=collection, in_person=pickup), "intake",
            decided_at + timedelta(days=1))  # fmt: skip
        made.visits += pickup
    if rng.random() < 0.6:
        made.rating, made.rated_by_clerk = rng.randint(1, 5), rng.random() < 0.25
        recorder = "clerk" if made.rated_by_clerk else "applicant"
        add(ApplicationEvaluated(rating=made.rating, recorded_by=recorder), "intake",
            decided_at + timedelta(hours=2))  # fmt: skip
    return made


# --- the expected figures, computed here from the generated inputs ---


def percentile(values: list[float], p: int) -> float | None:
    if not values:
        return None
    return sorted(values)[math.ceil(p * len(values) / 100) - 1]


def share(hits: list[bool]) -> float | None:
    return sum(hits) / len(hits) if hits else None


def expected(apps: list[Generated], department: str | None = None) -> dict[str, Any]:
    results = [a for a in apps if a.decision in ("approved", "rejected")]
    if department is None:
        days = [a.working_days for a in results if a.working_days is not None]
        timely = [a.on_time for a in results if a.on_time is not None]
    else:
        done = [f for a in apps for f in a.filings
                if f.department == department and f.completed is not None]  # fmt: skip
        days = [CALENDAR.working_days_between(f.dispatched, f.completed) for f in done]  # type: ignore[arg-type]
        timely = [f.completed < f.due for f in done]  # type: ignore[operator]
    ratings = [a.rating for a in apps if a.rating is not None and not a.rated_by_clerk]
    needed = sum(len(a.matter.materials) for a in apps)
    brought = sum(len(a.brought) for a in apps)
    shared = sum(
        1
        for a in apps
        for m in a.matter.materials
        if m.code in a.obtained and m.code not in a.brought
    )
    decisions: dict[str, int] = {}
    for a in apps:
        decisions[a.decision] = decisions.get(a.decision, 0) + 1
    return {
        "volume": len(apps),
        "decisions": decisions,
        "timed": len(days),
        "median_working_days": percentile(days, 50),
        "p90_working_days": percentile(days, 90),
        "on_time_rate": share(timely),
        "at_most_one_visit_rate": share([a.visits <= 1 for a in apps]),
        "zero_visit_rate": share([a.visits == 0 for a in apps]),
        "rated": len(ratings),
        "satisfaction_rate": share([r >= 3 for r in ratings]),
        "rated_by_clerk": sum(a.rated_by_clerk for a in apps),
        "materials_needed": needed,
        "materials_brought": brought,
        "materials_spared_rate": 1 - brought / needed if needed else None,
        "materials_spared_by_sharing": shared,
    }


def same(figures: dict[str, Any], wanted: dict[str, Any]) -> None:
    figures = {k: figures[k] for k in wanted}
    assert figures.pop("decisions") == wanted["decisions"]
    rest = {k: v for k, v in wanted.items() if k != "decisions"}
    assert figures == pytest.approx(rest, rel=1e-12, abs=1e-12)


def in_march(a: Generated) -> bool:
    return MARCH[0] <= a.decided_at.astimezone(ZONE).date() <= MARCH[1]


@pytest.fixture
async def model(stack, pool: asyncpg.Pool, schema_name: str) -> asyncpg.Pool:  # type: ignore[no-untyped-def]
    await migrate_async(stack.database_url, schema_name, extra=[MIGRATIONS])
    return pool


async def test_a_generated_month_gives_the_independently_computed_figures(
    stack,  # type: ignore[no-untyped-def]
    model: asyncpg.Pool,
    schema_name: str,
) -> None:
    rng = random.Random(20260301)
    apps = [generate(rng, i) for i in range(120)]
    envelopes = [e for a in apps for e in a.envelopes]
    async with model.acquire() as conn, conn.transaction():
        for envelope in rng.sample(envelopes, len(envelopes)):  # any order
            assert await apply(conn, envelope)
        assert not any([await apply(conn, e) for e in envelopes[:50]])  # redelivered

    report = await statistics(model, CATALOG, CALENDAR, MARCH)
    march = [a for a in apps if in_march(a)]
    assert 70 < len(march) < len(apps)
    assert [in_march(a) for a in apps[:4]] == [True, False, True, False]
    same(report.overall.model_dump(), expected(march))
    matters = sorted({a.matter.code for a in march})
    assert [m.matter for m in report.matters] == matters
    for figures in report.matters:
        same(figures.model_dump(), expected([a for a in march if a.matter.code == figures.matter]))
    departments = sorted({f.department for a in march for f in a.filings})
    assert [d.department for d in report.departments] == departments
    for d in report.departments:
        involved = [a for a in march if d.department in {f.department for f in a.filings}]
        same(d.model_dump(), expected(involved, d.department))
    assert (
        report.overall.rated > 0
        and report.overall.rated_by_clerk > 0
        and 0 < report.overall.zero_visit_rate < 1
    )  # type: ignore[operator]

    only = await statistics(model, CATALOG, CALENDAR, MARCH, "newborn")
    same(only.overall.model_dump(), expected([a for a in march if a.matter.code == "newborn"]))

    async with model.acquire() as conn:
        for a in apps:
            stream = f"generated-{a.envelopes[0].application_id}"
            await append_streams(conn, [StreamAppend(stream, 0, a.envelopes)])
        read, applied = await rebuild_read_model(conn, [schema_name])
    assert read == applied == len(envelopes)
    assert await statistics(model, CATALOG, CALENDAR, MARCH) == report

    printed = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["stats", "--from", "2026-03-01", "--to", "2026-03-31", "--json", "--schema", schema_name],
        env={"ONEWINDOW_DATABASE_URL": stack.database_url},
    )
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output) == report.model_dump(mode="json")
    table = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["stats", "--from", "2026-03-01", "--to", "2026-03-31", "--schema", schema_name],
        env={"ONEWINDOW_DATABASE_URL": stack.database_url},
    )
    assert table.exit_code == 0, table.output
    overall = next(line for line in table.output.splitlines() if line.startswith("overall"))
    assert overall.split()[1] == str(len(march))
    wrong = await asyncio.to_thread(
        CliRunner().invoke, cli, ["stats", "--from", "2026-03-31", "--to", "2026-03-01"],
    )  # fmt: skip
    assert wrong.exit_code == 2 and "before" in wrong.output

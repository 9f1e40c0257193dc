"""The router's clocks, pure: marks at 80 % and 100 %, each once; a supplement pause moving
every deadline by exactly the paused working days; lapse; a held result released; follow-up
clocks; dates beyond the calendar. Fixed datetimes in 2026 (Asia/Shanghai) on the shipped
calendar: 清明 is Sat 4 – Mon 6 April."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from contracts.catalog import CATALOG_DIR, CatalogError, load_matter
from contracts.envelope import Event
from contracts.events import (
    FollowUpClosed,
    FollowUpOpened,
    MaterialsHandedIn,
    OutcomeDecided,
    ResultHeld,
    SubtaskDispatched,
    SupplementNoticeIssued,
    SupplementSubmitted,
    TimeLimitExceeded,
    TimeLimitWarned,
)
from services.router.domain.deadlines import mark_at, resumed, shift_instant, worked
from services.router.domain.events import (
    ClocksPaused,
    ClocksResumed,
    ClockUnavailable,
    SupplementLapsed,
)
from services.router.domain.supervision import next_mark
from tests.router_flow import CALENDAR, LICENCE, Flow, of

CN = ZoneInfo("Asia/Shanghai")
OTHERS = {
    "psb-seal": {"seal_filing_number": "1"},
    "tax-invoice": {"tax_registration_number": "x", "invoice_quota": "1"},
    "hrss-social-insurance": {"social_insurance_number": "1"},
    "hpf-provident-fund": {"provident_fund_account": "1"},
}


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CN)


def marks(events: list[Event]) -> list[tuple[str, str, str, str]]:
    return [
        (type(e).__name__[9:], e.clock, e.clock_id, e.limit)
        for e in events
        if isinstance(e, TimeLimitWarned | TimeLimitExceeded)
    ]


def complete_all(flow: Flow) -> list[Event]:
    decided = flow.complete("amr-licence", **LICENCE)
    for code, outputs in OTHERS.items():
        decided += flow.complete(code, **outputs)
    return decided


def test_marks_fall_at_80_percent_of_the_working_time_and_skip_days_off() -> None:
    accepted = at(4, 2, 10)  # Thursday; 3 working days: Fri 3, Tue 7, Wed 8 April
    start, due = CALENDAR.clock_start(accepted), CALENDAR.deadline(accepted, 3)
    assert (start, due) == (at(4, 3), at(4, 9))
    assert mark_at(CALENDAR, start, due, 0.8) == at(4, 8, 9, 36)  # 2.4 working days
    assert mark_at(CALENDAR, start, due, 1.0) == due


def test_the_application_and_subtask_clocks_warn_and_exceed_each_once() -> None:
    flow = Flow()  # Monday 2 March 10:00: promised 1 day, statutory 3, amr-licence 1
    (dispatched,) = of(SubtaskDispatched, flow.decided)
    assert dispatched.due_at == at(3, 4)  # end of Tuesday
    assert next_mark(flow.process) == at(3, 3, 19, 12)
    assert flow.tick(at(3, 3, 19, 11)) == []
    warned = flow.tick(at(3, 3, 19, 12))
    assert marks(warned) == [
        ("Warned", "application", "application", "promised"),
        ("Warned", "subtask", "amr-licence", "own"),
    ]
    subtask = warned[1]
    assert isinstance(subtask, TimeLimitWarned)
    assert (subtask.department, subtask.limit_days) == ("amr", 1)
    assert (subtask.started_at, subtask.due_at) == (at(3, 3), at(3, 4))
    assert flow.tick(at(3, 3, 23)) == []  # once
    assert marks(flow.tick(at(3, 4))) == [
        ("Exceeded", "application", "application", "promised"),
        ("Exceeded", "subtask", "amr-licence", "own"),
    ]
    assert marks(flow.tick(at(3, 10))) == [  # a late look records both marks, in order
        ("Warned", "application", "application", "statutory"),
        ("Exceeded", "application", "application", "statutory"),
    ]
    assert flow.tick(at(3, 20)) == [] and next_mark(flow.process) is None


def test_a_settled_subtask_stops_its_clock() -> None:
    flow = Flow()
    flow.now = at(3, 3, 9)
    flow.complete("amr-licence", **LICENCE)
    late = flow.tick(at(3, 4))
    assert ("Warned", "subtask", "amr-licence", "own") not in marks(late)
    assert ("Exceeded", "application", "application", "promised") in marks(late)


def test_a_supplement_pause_moves_every_deadline_by_exactly_the_paused_working_days() -> None:
    flow = Flow(now=at(4, 2, 10))  # Thursday before 清明
    promised, statutory = _application_dues(flow)
    amr = flow.process.clocks.kept[("subtask", "amr-licence", "own")].due_at
    assert (promised, statutory, amr) == (at(4, 4), at(4, 9), at(4, 4))

    flow.now = at(4, 2, 15)
    asked = flow.supplement("amr-licence", "premises-proof")
    (paused,) = of(ClocksPaused, asked)
    assert paused.paused_from == at(4, 3)  # the notice's own day still counts
    (notice,) = of(SupplementNoticeIssued, asked)
    assert notice.due_at == CALENDAR.deadline(at(4, 2, 15), 10)
    assert flow.tick(at(4, 7, 9)) == []  # the old marks passed, but the clocks stood still

    flow.now = at(4, 7, 10)  # Tuesday after the holiday: paused Fri 3 and Tue 7 April
    resumed_events = flow.receive(
        SupplementSubmitted(notice_id="S1", materials=("premises-proof",))
    )
    (resume,) = of(ClocksResumed, resumed_events)
    assert resume.paused_days == 2
    assert _application_dues(flow) == (CALENDAR.shift(promised, 2), CALENDAR.shift(statutory, 2))
    assert _application_dues(flow) == (at(4, 9), at(4, 11))
    (again,) = of(SubtaskDispatched, resumed_events)
    assert again.filing_key.endswith(":2") and again.due_at == at(4, 9)
    assert next_mark(flow.process) == at(4, 8, 19, 12)  # Friday's 19:12 moved by two days

    flow.now = at(4, 8, 12)
    decided = complete_all(flow)
    (outcome,) = of(OutcomeDecided, decided)
    assert outcome.started_at == at(4, 3) and outcome.promised_due_at == at(4, 9)
    assert outcome.statutory_due_at == at(4, 11)
    assert outcome.working_days == 0.5  # Fri 3, Tue 7 and half Wed 8, less the paused two
    assert outcome.on_time is True


def test_pauses_are_counted_in_whole_working_days_across_weekends_and_holidays() -> None:
    stopped = at(4, 3)  # the notice went out on Thursday 2 April
    assert resumed(CALENDAR, stopped, at(4, 2, 16)) == (stopped, 0)  # answered the same day
    assert resumed(CALENDAR, stopped, at(4, 2, 17))[1] == 1  # after the cut-off: Friday's
    assert resumed(CALENDAR, stopped, at(4, 6, 12))[1] == 2  # on the holiday: Tuesday's
    assert resumed(CALENDAR, stopped, at(4, 7, 16, 59))[1] == 2
    assert shift_instant(CALENDAR, at(4, 3, 19, 12), 2) == at(4, 8, 19, 12)
    assert shift_instant(CALENDAR, at(4, 4), 2) == at(4, 9)  # end of Fri 3 → end of Wed 8
    pauses = [(at(4, 3), at(4, 8))]
    assert worked(CALENDAR, at(4, 3), at(4, 9), pauses) == 1.0
    assert worked(CALENDAR, at(4, 3), at(4, 2, 12), pauses) == 0.0  # decided on day 0


def test_an_unanswered_supplement_lapses_the_application_once() -> None:
    flow = Flow()
    flow.now = at(3, 2, 11)
    (notice,) = of(SupplementNoticeIssued, flow.supplement("amr-licence", "premises-proof"))
    assert notice.due_at == at(3, 17)  # ten working days after Monday 2 March
    assert marks(flow.tick(at(3, 13))) == [("Warned", "supplement", "S1", "own")]
    lapsed = flow.tick(at(3, 17))
    assert marks(lapsed) == [("Exceeded", "supplement", "S1", "own")]
    assert [e.notice_id for e in of(SupplementLapsed, lapsed)] == ["S1"]
    (outcome,) = of(OutcomeDecided, lapsed)
    assert outcome.decision == "lapsed" and outcome.working_days == 0.0
    assert flow.receive(SupplementSubmitted(notice_id="S1")) == []
    assert flow.tick(at(3, 30)) == []


def test_a_supplement_arriving_after_its_due_time_finds_the_application_lapsed() -> None:
    flow = Flow()
    flow.supplement("amr-licence", "premises-proof")
    flow.now = at(3, 17, 8)  # the ticker has not looked yet: the handler catches up first
    decided = flow.receive(SupplementSubmitted(notice_id="S1", materials=("premises-proof",)))
    assert [o.decision for o in of(OutcomeDecided, decided)] == ["lapsed"]
    assert of(SubtaskDispatched, decided) == []


def _deferred(**extra: Any) -> Flow:
    return Flow(
        deferred_materials=("premises-proof",), materials_promised_by=date(2026, 3, 6), **extra
    )


def test_a_deficiency_accepted_result_is_held_then_released_when_the_material_arrives() -> None:
    flow = _deferred()
    (amr,) = of(SubtaskDispatched, flow.decided)
    assert "premises-proof" in amr.materials and amr.deferred_materials == ("premises-proof",)
    clock = flow.process.clocks.kept[("deficiency", "deficiency", "own")]
    assert (clock.limit_days, clock.due_at) == (4, at(3, 7))  # until the end of Friday 6
    assert ("Warned", "deficiency", "deficiency", "own") not in marks(flow.tick(at(3, 6, 4, 47)))
    assert marks(flow.tick(at(3, 6, 4, 48))) == [("Warned", "deficiency", "deficiency", "own")]

    flow.now = at(3, 6, 10)
    decided = complete_all(flow)
    (hold,) = of(ResultHeld, decided)
    assert hold.missing == ("premises-proof",) and hold.promised_by == date(2026, 3, 6)
    assert of(OutcomeDecided, decided) == []
    other = flow.receive(MaterialsHandedIn(materials=("employee-list",), in_person=False))
    assert of(ResultHeld, other) == [] and of(OutcomeDecided, other) == []  # held once

    flow.now = at(3, 6, 15)
    (outcome,) = of(
        OutcomeDecided,
        flow.receive(MaterialsHandedIn(materials=("premises-proof",), in_person=True)),
    )
    assert outcome.decision == "approved" and len(outcome.certificates) == 5
    assert flow.tick(at(3, 30)) == []  # every clock stopped with the outcome


def test_deferred_materials_handed_in_early_hold_nothing_and_stop_their_clock() -> None:
    flow = _deferred()
    flow.receive(MaterialsHandedIn(materials=("premises-proof",), in_person=True))
    assert ("Exceeded", "deficiency", "deficiency", "own") not in marks(flow.tick(at(3, 9)))
    flow.now = at(3, 9, 10)
    decided = complete_all(flow)
    assert of(ResultHeld, decided) == [] and len(of(OutcomeDecided, decided)) == 1


def test_a_follow_up_clock_runs_until_the_clerk_closes_the_case() -> None:
    flow = Flow()
    flow.now = at(3, 2, 15)
    complete_all(flow)
    assert flow.process.decided and next_mark(flow.process) is None
    flow.now = at(3, 9, 10)  # Monday: 5 working days to respond
    for case in ("F1", "F2"):
        flow.receive(FollowUpOpened(case_id=case, rating=1, time_limit_days=5))
    assert flow.receive(FollowUpOpened(case_id="F1", rating=2, time_limit_days=5)) == []
    assert marks(flow.tick(at(3, 16))) == [
        ("Warned", "follow-up", "F1", "own"),
        ("Warned", "follow-up", "F2", "own"),
    ]
    flow.now = at(3, 16, 9)
    assert flow.receive(FollowUpClosed(case_id="F1", response="已整改", clerk="王")) != []
    assert marks(flow.tick(at(3, 17))) == [("Exceeded", "follow-up", "F2", "own")]


def test_a_deadline_beyond_the_calendar_is_recorded_as_unavailable_not_guessed() -> None:
    flow = Flow(now=datetime(2027, 12, 29, 10, tzinfo=CN))  # the shipped calendar ends in 2027
    (lost,) = of(ClockUnavailable, flow.decided)
    assert (lost.clock, lost.limit) == ("application", "statutory")
    assert "2028" in lost.reason or "outside" in lost.reason
    assert len(of(SubtaskDispatched, flow.decided)) == 1  # the application goes on
    flow.now = datetime(2027, 12, 30, 12, tzinfo=CN)
    (outcome,) = of(OutcomeDecided, complete_all(flow))
    assert outcome.promised_due_at is not None and outcome.statutory_due_at is None


def test_catalog_limits_of_supplements_and_follow_ups_are_validated(tmp_path: Path) -> None:
    raw = yaml.safe_load((CATALOG_DIR / "business-startup.yaml").read_text(encoding="utf-8"))
    assert load_matter(CATALOG_DIR / "business-startup.yaml").supplement_days == 10
    raw["supplement_days"] = 0
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match="supplement_days"):
        load_matter(tmp_path / "m.yaml")
    del raw["supplement_days"], raw["follow_up_days"]
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert load_matter(tmp_path / "m.yaml").follow_up_days == 15  # the default


def _application_dues(flow: Flow) -> tuple[datetime, datetime]:
    kept = flow.process.clocks.kept
    return (
        kept[("application", "application", "promised")].due_at,
        kept[("application", "application", "statutory")].due_at,
    )

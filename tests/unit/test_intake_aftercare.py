"""intake's pure rules of aftercare: deficiency checks, hand-ins, statuses, follow-ups,
percentiles and figures, the statistics table, timeline lines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts.calendar import load_calendar
from contracts.catalog import load_catalog
from contracts.events import (
    ApplicationEvaluated,
    NoticeDelivered,
    OutcomeDecided,
    ResultCollected,
    TimeLimitWarned,
)
from services.intake.domain.aftercare import follow_up_state, owed
from services.intake.domain.callers import Caller
from services.intake.domain.checks import deferral_errors, hand_in_errors
from services.intake.domain.progress import derive_status
from services.intake.domain.statistics import (
    Completed,
    completed_subtask,
    decided_application,
    figures,
    nearest_rank,
    period_bounds,
)
from services.intake.domain.stats_report import as_text, stats_report
from services.intake.domain.timeline import summary

CATALOG, CALENDAR = load_catalog(), load_calendar()
STARTUP = CATALOG.matter("business-startup")
TODAY = date(2026, 11, 23)


def _rules(errors: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(e.field, e.rule) for e in errors]


def test_only_a_window_or_a_clerk_is_at_a_counter() -> None:
    at = {
        kind: Caller("c", kind).at_counter for kind in ("window", "web", "mobile", "kiosk", "clerk")
    }
    assert at == {"window": True, "web": False, "mobile": False, "kiosk": False, "clerk": True}


@pytest.mark.parametrize(
    ("materials", "deferred", "promised_by", "expected"),
    [
        ([], ["employee-list"], date(2026, 11, 30), []),
        ([], ["employee-list", "premises-proof"], date(2027, 12, 31), []),
        ([], [], None, []),
        ([], ["employee-list"], None, [("materials_promised_by", "missing")]),
        ([], [], date(2026, 11, 30), [("materials_promised_by", "unexpected")]),
        ([], ["employee-list"], TODAY, [("materials_promised_by", "not_future")]),
        ([], ["employee-list"], date(2028, 1, 1), [("materials_promised_by", "outside_calendar")]),
        (
            ["employee-list"],
            ["employee-list"],
            date(2026, 12, 1),
            [("deferred_materials.0", "also_handed_in")],
        ),
        (
            [],
            ["id-legal-person"],
            date(2026, 12, 1),
            [("deferred_materials.0", "not_applicant_material")],
        ),
    ],
)
def test_deficiency_acceptance_rules(
    materials: list[str], deferred: list[str], promised_by: date | None, expected: list[str]
) -> None:
    errors = deferral_errors(
        STARTUP, materials, deferred, promised_by, today=TODAY, calendar=CALENDAR
    )
    assert _rules(errors) == expected


def test_a_key_material_is_never_deferred() -> None:
    equity = CATALOG.matter("equity-transfer")
    errors = deferral_errors(
        equity, [], ["equity-agreement", "original-cost-proof"], date(2026, 12, 1),
        today=TODAY, calendar=CALENDAR,
    )  # fmt: skip
    assert _rules(errors) == [("deferred_materials.0", "key_material")]


def test_a_hand_in_brings_only_what_is_owed() -> None:
    assert hand_in_errors(["a", "b"], ["b"]) == []
    assert _rules(hand_in_errors(["a"], ["a", "c", "a"])) == [
        ("materials.1", "not_owed"),
        ("materials.2", "duplicate"),
    ]
    assert owed(["a", "b"], {"b"}, closed=False) == ["a"]
    assert owed(["a", "b"], set(), closed=True) == []


@pytest.mark.parametrize(
    ("facts", "status"),
    [
        ({"held": True}, "result_held"),
        ({"held": True, "notice_pending": True}, "result_held"),
        ({"held": True, "decision": "approved"}, "approved"),
        ({"held": True, "withdrawn": True}, "withdrawn"),
        ({"decision": "lapsed", "notice_pending": True}, "lapsed"),
    ],
)
def test_status_with_a_held_result_and_a_lapse(facts: dict[str, object], status: str) -> None:
    given = {"decision": None, "withdrawn": False, "notice_pending": False, "dispatched": True}
    assert derive_status(**(given | facts)) == status  # type: ignore[arg-type]


def test_follow_up_state() -> None:
    now = datetime.now(UTC)
    assert follow_up_state(None, None) == "open"
    assert follow_up_state(None, now) == "overdue"
    assert follow_up_state(now, now) == "closed"


def test_nearest_rank_percentiles() -> None:
    assert nearest_rank([], 50) is None
    assert nearest_rank([7.0], 90) == 7.0
    assert nearest_rank([4.0, 1.0, 3.0, 2.0], 50) == 2.0  # the lower middle: rank ceil(2)
    assert nearest_rank([4.0, 1.0, 3.0, 2.0], 90) == 4.0  # rank ceil(3.6) = 4
    ten = [float(v) for v in range(10, 0, -1)]
    assert (nearest_rank(ten, 50), nearest_rank(ten, 90), nearest_rank(ten, 91)) == (5, 9, 10)


def test_figures_of_three_applications() -> None:
    fetched = ["id-legal-person", "id-shareholders", "id-tax-officer"]

    def one(
        decision: str,
        days: float | None,
        visits: int,
        rating: int | None,
        brought: list[str],
        obtained: list[str] = fetched,
    ):  # type: ignore[no-untyped-def]
        return decided_application(
            "business-startup", STARTUP, decision=decision, working_days=days, on_time=days == 1,
            visits=visits, rating=rating, brought=brought, departments=["amr", "tax"],
            obtained=obtained,
        )  # fmt: skip

    apps = [
        one("approved", 1.0, 1, 5, ["premises-proof", "employee-list"]),
        one("rejected", 3.0, 0, 1, ["premises-proof", "id-legal-person", "not-a-material"]),
        one("withdrawn", 0.5, 2, None, []),
    ]
    f = figures(apps)
    assert (f.volume, f.decisions, f.timed) == (
        3,
        {"approved": 1, "rejected": 1, "withdrawn": 1},
        2,
    )
    assert (f.median_working_days, f.p90_working_days, f.on_time_rate) == (1.0, 3.0, 0.5)
    assert (f.at_most_one_visit_rate, f.zero_visit_rate) == (2 / 3, 1 / 3)
    assert (f.rated, f.satisfaction_rate) == (2, 0.5)
    assert (f.materials_needed, f.materials_brought) == (24, 4)
    assert f.materials_spared_rate == 1 - 4 / 24
    assert f.materials_spared_by_sharing == 3 + 2 + 3  # three fetched; one brought once
    # spared is what was actually fetched: a register that could not be read spares nothing
    unfetched = one("approved", 1.0, 0, None, ["id-tax-officer"], obtained=fetched[:2])
    assert figures([unfetched]).materials_spared_by_sharing == 2
    done = [Completed("amr", 0.25, True), Completed("amr", None, False)]
    assert figures(apps, done).median_working_days == 0.25
    assert figures(apps, done).on_time_rate == 0.5

    report = stats_report((date(2026, 3, 1), date(2026, 3, 31)), "Asia/Shanghai", None, apps,
                          done, {"amr": "市场监督管理局"})  # fmt: skip
    assert [d.department for d in report.departments] == ["amr", "tax"]
    assert report.departments[1].subtasks == 0 and report.departments[1].timed == 0
    text = as_text(report)
    assert "2026-03-01 to 2026-03-31 (Asia/Shanghai)" in text
    overall = text.splitlines()[2].split()
    assert overall[:4] == ["overall", "3", "1.00", "3.00"] and overall[-2:] == ["4/24", "83%"]
    assert "dept tax (0)" in text and "—" in text


def test_a_period_is_local_days_and_subtask_days_use_the_calendar() -> None:
    start, end = period_bounds(date(2026, 3, 1), date(2026, 3, 31), CALENDAR.zone)
    assert start.astimezone(UTC) == datetime(2026, 2, 28, 16, tzinfo=UTC)
    assert end is not None and end - start == timedelta(days=31)
    every_day = period_bounds(date.min, date.max, CALENDAR.zone)  # no overflow at the edges
    assert every_day == (datetime.min.replace(tzinfo=UTC), None)
    with pytest.raises(ValueError, match="before"):
        period_bounds(date(2026, 3, 2), date(2026, 3, 1), CALENDAR.zone)
    friday = datetime(2026, 3, 6, 12, tzinfo=CALENDAR.zone)
    done = completed_subtask(CALENDAR, "tax", friday, friday + timedelta(days=3), None)
    assert done == Completed("tax", 1.0, None)  # noon Friday to noon Monday
    late = completed_subtask(CALENDAR, "tax", friday, friday + timedelta(days=3), friday)
    assert late.on_time is False
    old = datetime(2020, 1, 6, tzinfo=UTC)
    assert completed_subtask(CALENDAR, "tax", old, old, None).working_days is None


def test_timeline_lines_of_aftercare() -> None:
    assert "rated 2 of 5" in summary(ApplicationEvaluated(rating=2))
    assert "picked up" in summary(ResultCollected(method="pickup", in_person=True))
    now = datetime.now(UTC)
    warned = TimeLimitWarned(
        clock="subtask", clock_id="amr-licence", limit="own", department="amr", limit_days=1,
        started_at=now, due_at=now,
    )  # fmt: skip
    assert "80 %" in summary(warned)
    lapse = NoticeDelivered(notice="lapse", notice_key="S1", channel="sms", recipient="138****",
                            attempts=1, delivered_at=now)  # fmt: skip
    assert summary(lapse).startswith("终止办理通知已送达")
    lapsed = OutcomeDecided(
        matter="newborn", matter_name="出生一件事", receipt_number="YC", applicant_name="周",
        delivery={"channel": "sms", "address": "13857101234"}, decision="lapsed",
    )  # fmt: skip
    assert summary(lapsed).endswith("decided: lapsed")

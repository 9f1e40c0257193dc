"""The load tools' pure parts: the mix, the pace, percentiles and windows, CPU accounting."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from onewindow.load.cpu import ProcStat, Watched, milliseconds, parse_stat, ticks, tree_ticks
from onewindow.load.figures import counts_per_second, per_second, percentile
from onewindow.load.flow_report import FlowSetup, as_table, flow_figures
from onewindow.load.generator import Offer, retryable
from onewindow.load.mix import MixError, parse_mix, spread
from onewindow.load.observer import Arrivals
from onewindow.load.pacing import Pace
from onewindow.webhook import Delivery

MATTERS = ["business-startup", "newborn", "housing-transfer"]


def test_a_mix_is_all_one_matter_or_weights() -> None:
    assert parse_mix("all", MATTERS) == dict.fromkeys(MATTERS, 1)
    assert parse_mix("newborn", MATTERS) == {"newborn": 1}
    assert parse_mix(" business-startup=3, newborn ", MATTERS) == {
        "business-startup": 3,
        "newborn": 1,
    }


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ("marriage", "unknown matter 'marriage'"),
        ("newborn=0", "weight of 'newborn'"),
        ("newborn=x", "weight of 'newborn'"),
        ("newborn,newborn=2", "named twice"),
        ("newborn,,business-startup", "empty entry"),
        ("", "empty entry"),
    ],
)
def test_a_bad_mix_is_refused_naming_what_is_wrong(spec: str, names: str) -> None:
    with pytest.raises(MixError, match=names):
        parse_mix(spec, MATTERS)


def test_the_mix_is_spread_in_its_proportions_and_interleaved() -> None:
    order = spread({"business-startup": 3, "newborn": 1}, 8)
    assert Counter(order) == {"business-startup": 6, "newborn": 2}
    assert order[:4].count("newborn") == 1  # not a block of one matter, then the other
    assert spread({"newborn": 1}, 3) == ["newborn"] * 3


def test_offers_are_due_at_a_fixed_rate_from_the_start() -> None:
    pace = Pace.parse("20")
    assert [pace.due(i) for i in (0, 1, 20, 1000)] == [0.0, 0.05, 1.0, 50.0]
    assert Pace.parse("max").due(999) == 0.0
    assert str(Pace.parse("2.5")) == "2.5/s" and str(Pace.parse("MAX")) == "max"
    for bad in ("0", "-3", "fast", "nan"):
        with pytest.raises(ValueError, match="positive number"):
            Pace.parse(bad)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 0)


def test_rates_are_over_their_window_and_counted_per_second() -> None:
    assert per_second(100, 10.0, 15.0) == 20.0
    assert per_second(5, 10.0, 10.0) is None and per_second(5, None, 3.0) is None
    assert counts_per_second([10.0, 10.5, 11.2, 13.9, 14.0, 9.0], 10.0, 4) == [2, 1, 0, 1]


STAT = "4242 (python -m (x) y) S 17 4242 4242 0 -1 4194560 1 0 0 0 150 30 7 3 20 0 1 0 9 1 1"


def test_a_stat_line_is_read_past_a_command_with_spaces_and_parentheses() -> None:
    assert parse_stat(STAT) == ProcStat(4242, 17, 150, 30, 7, 3)


def test_a_tree_counts_live_descendants_and_reaped_children() -> None:
    table = {
        10: ProcStat(10, 1, 100, 50, 40, 10),  # postmaster, 50 ticks of reaped backends
        11: ProcStat(11, 10, 30, 5, 0, 0),  # a backend
        12: ProcStat(12, 11, 2, 1, 0, 0),  # its child
        20: ProcStat(20, 1, 999, 999, 0, 0),  # not of the tree
    }
    assert tree_ticks(table, 10) == 150 + 50 + 35 + 3
    assert tree_ticks(table, 99) is None
    # a backend ends and is reaped: its time moves into the postmaster's, the sum holds
    after = {10: ProcStat(10, 1, 100, 50, 40 + 32, 10 + 6), 20: table[20]}
    assert tree_ticks(after, 10) == tree_ticks(table, 10)


def test_cpu_milliseconds_are_deltas_of_each_part() -> None:
    watched = [Watched("postgresql", 10), Watched("client", 11, tree=False), Watched("gone", 5)]
    before_table = {10: ProcStat(10, 1, 100, 0, 0, 0), 11: ProcStat(11, 10, 10, 10, 0, 0)}
    after_table = {10: ProcStat(10, 1, 300, 0, 0, 0), 11: ProcStat(11, 10, 20, 20, 0, 0)}
    before, after = ticks(watched, before_table), ticks(watched, after_table)
    assert before == {"postgresql": 120, "client": 20, "gone": None}
    spent = milliseconds(before, after, tick_hz=100)
    assert spent == {"postgresql": 2200.0, "client": 200.0, "gone": None}
    # a part started again has less time than before: no figure rather than a wrong one
    assert milliseconds({"x": 500}, {"x": 20}, tick_hz=100) == {"x": None}


def _arrived(at: float, delivery_id: str = "d", kind: str = "result") -> Delivery:
    return Delivery("/results/k", {}, {"kind": kind, "delivery_id": delivery_id}, True, at)


def test_flow_figures_take_accepted_over_the_submission_window_and_results_over_the_whole() -> None:
    offers = [
        Offer("a", "newborn", {}, first_sent=100.0, accepted_at=100.1, attempts=1),
        Offer("b", "newborn", {}, first_sent=101.0, accepted_at=102.1, attempts=1),
        Offer("c", "newborn", {}, first_sent=101.5, refusal="503 busy", attempts=1),
    ]
    arrivals = {"a": Arrivals([_arrived(103.0)]), "b": Arrivals([_arrived(110.0)])}
    setup = FlowSetup(3, {"newborn": 1}, "2/s", 8, "default")
    figures = flow_figures(setup, offers, arrivals, events=64, cpu_ms={"intake": 100.0, "x": None})
    assert (figures.accepted, figures.refused, figures.results, figures.missing) == (2, 1, 2, 0)
    assert figures.accepted_per_s == pytest.approx(2 / 2.1)
    assert figures.results_per_s == pytest.approx(2 / 10)
    assert figures.events_per_s == pytest.approx(64 / 10)
    assert figures.events_per_application == 32
    assert figures.latency_s == {"p50": 3.0, "p95": 9.0, "p99": 9.0, "max": 9.0}
    assert figures.cpu_ms_per_application == {"intake": 50.0, "x": None}
    assert figures.refusals == {"503": 1}


def test_cpu_per_application_sums_a_service_s_replicas_and_keeps_each() -> None:
    offers = [Offer("a", "newborn", {}, first_sent=100.0, accepted_at=100.1, attempts=1)]
    arrivals = {"a": Arrivals([_arrived(101.0)])}
    setup = FlowSetup(1, {"newborn": 1}, "max", 8, "zero", replicas=2)
    cpu_ms = {
        "intake": 10.0,
        "router": 30.0,
        "router-2": 12.0,
        "notifier": 5.0,
        "notifier-2": None,
        "load client": 1.0,
    }
    figures = flow_figures(setup, offers, arrivals, events=10, cpu_ms=cpu_ms)
    assert figures.cpu_ms_per_application == {
        "intake": 10.0,
        "router": 42.0,
        "notifier": None,
        "load client": 1.0,
    }
    assert figures.cpu_ms_per_replica == {
        "router": {"router": 30.0, "router-2": 12.0},
        "notifier": {"notifier": 5.0, "notifier-2": None},
    }
    table = as_table(figures)
    assert "2 replicas" in table.splitlines()[0]
    assert re.search(r"router +42\.0 ms +\(2 replicas: 30\.0 \+ 12\.0\)", table)


def test_what_a_front_end_submits_again() -> None:
    assert retryable(None) and retryable(500) and retryable(503) and retryable(429)
    assert not retryable(422) and not retryable(409) and not retryable(401)

"""Chaos runs' pure parts: the fault plan, double filings in a legacy ledger, healing, the
verdict."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pytest

from onewindow.load.chaos import ChaosSetup
from onewindow.load.chaos_report import DoneFault, chaos_report, healing
from onewindow.load.faults import PlanError, PlannedFault, plan_faults
from onewindow.load.generator import Offer
from onewindow.load.legacy import DoubleFilings, double_filings
from onewindow.load.observer import Arrivals
from onewindow.stack import local_parts, service_processes
from onewindow.webhook import Delivery

SERVICES = ("intake", "router", "dept_adapter", "notifier")


def test_the_plan_has_every_fault_kind_and_kills_each_service_before_any_twice() -> None:
    plan = plan_faults(30, 4, {"kill", "postgres", "broker"}, random.Random(7))
    assert [f.at for f in plan] == [4, 8, 12, 16, 20, 24, 28]
    kinds = [f.kind for f in plan]
    assert Counter(kinds) == {"kill": 5, "postgres": 1, "broker": 1}
    assert kinds.index("postgres") < kinds.index("broker")  # its healing seen first
    killed = [f.target for f in plan if f.kind == "kill"]
    assert set(killed[:4]) == set(SERVICES)


def test_the_plan_is_the_seeds() -> None:
    kinds = {"kill", "postgres", "broker"}
    assert plan_faults(100, 5, kinds, random.Random(3)) == plan_faults(
        100, 5, kinds, random.Random(3)
    )


def test_a_plan_of_only_some_kinds() -> None:
    assert plan_faults(20, 5, {"postgres"}, random.Random(1)) == [
        PlannedFault(10, "postgres", "postgresql")
    ]
    kills = plan_faults(25, 5, {"kill"}, random.Random(1))
    assert {f.target for f in kills} == set(SERVICES) and len(kills) == 4


def test_a_window_too_short_for_the_faults_is_refused() -> None:
    with pytest.raises(PlanError, match="has 3 slots; 6 are needed"):
        plan_faults(16, 5, {"kill", "postgres", "broker"}, random.Random(1))
    with pytest.raises(PlanError, match="unknown fault kinds"):
        plan_faults(60, 5, {"meteor"}, random.Random(1))


def test_with_replicas_each_replica_is_a_victim_of_its_own_or_those_named() -> None:
    setup = ChaosSetup(
        applications=60,
        rate=2,
        kill_every=4,
        settle_timeout=60,
        faults=frozenset({"kill"}),
        error_rate=0,
        timeout_rate=0,
        mix={"newborn": 1},
        seed=1,
        replicas=2,
    )
    every = service_processes(local_parts(2))  # tests/unit/test_local_stack.py names them
    assert {f.target for f in setup.plan()} == set(every) and len(every) == 7
    named = replace(setup, victims=("router-2", "notifier"))
    assert Counter(f.target for f in named.plan()) == {"router-2": 4, "notifier": 3}
    with pytest.raises(PlanError, match="no process router-3 to kill"):
        replace(setup, victims=("router-3",)).plan()


def test_double_filings_are_keys_filed_twice_or_subtasks_under_several_keys() -> None:
    ledger = {
        "amr": {
            "app1:amr-licence:1": {"requests": 3, "filings": 1},  # retried: fine
            "app2:amr-licence:1": {"requests": 1, "filings": 1},
            "app2:amr-licence:2": {"requests": 1, "filings": 1},  # a second round: twice
        },
        "tax": {"app1:tax-invoice:1": {"requests": 2, "filings": 2}},
        "hpf": {"app1:hpf-account:1": {"requests": 4, "filings": 0}},  # refused every time
    }
    found = double_filings(ledger)
    assert found == DoubleFilings(per_key={"tax": 1}, per_subtask={"amr": 1})
    assert found.total == 2
    assert double_filings({"amr": {"app1:amr-licence:1": {"filings": 1}}}).total == 0


def _delivery(key: str, at: float, delivery_id: str, kind: str = "result") -> Delivery:
    return Delivery(f"/results/{key}", {}, {"kind": kind, "delivery_id": delivery_id}, True, at)


def test_healing_waits_for_an_application_offered_after_the_fault() -> None:
    offers = [
        Offer("early", "newborn", {}, first_sent=1.0, accepted_at=1.1),
        Offer("late", "newborn", {}, first_sent=12.0, accepted_at=20.0),
    ]
    arrivals = {
        "early": Arrivals([_delivery("early", 11.0, "e")]),
        "late": Arrivals([_delivery("late", 25.0, "l")]),
    }
    fault = DoneFault(PlannedFault(10, "kill", "intake"), started=10.0, ended=10.5, ready=18.0)
    healed = healing(fault, 0.0, offers, arrivals)
    assert (healed.at_s, healed.took_s, healed.ready_s) == (10.0, 0.5, 8.0)
    assert healed.next_result_s == 1.0  # work already past intake
    assert healed.healed_s == 15.0
    never = healing(
        DoneFault(PlannedFault(30, "broker", "broker"), 30.0, 30.2), 0.0, offers, arrivals
    )
    assert never.next_result_s is None and never.healed_s is None and never.ready_s is None


def test_the_verdict_counts_lost_doubles_and_never_accepted_but_not_resends() -> None:
    offers = [
        Offer("ok", "newborn", {}, first_sent=1.0, accepted_at=1.1, application_id="A"),
        Offer("lost", "newborn", {}, first_sent=2.0, accepted_at=2.1, application_id="B"),
        Offer("twice", "newborn", {}, first_sent=3.0, accepted_at=3.1, application_id="C"),
        Offer("never", "newborn", {}, first_sent=4.0, refusal="ConnectError: refused"),
    ]
    arrivals = {
        "ok": Arrivals([_delivery("ok", 5.0, "n1"), _delivery("ok", 6.0, "n1")]),  # a resend
        "twice": Arrivals(
            [_delivery("twice", 5.0, "n2", "rejection"), _delivery("twice", 7.0, "n3")]
        ),
        "lost": Arrivals(others=[_delivery("lost", 4.0, "s1", kind="supplement")]),
    }
    report = chaos_report(offers, arrivals, [], 0.0, DoubleFilings({}, {}), 10, 0, [])
    assert (report.accepted, report.results, report.lost) == (3, 2, 1)
    assert report.outcomes == {"result": 1, "rejection": 1}  # by the first outcome notice
    assert report.lost_applications == ["B"]
    assert report.more_than_one_outcome == 1
    assert report.resends == 1
    assert report.not_accepted == 1 and report.refusals == ["ConnectError: refused"]
    assert report.failures == [
        "1 accepted applications without their one result",
        "1 applications with more than one outcome",
        "1 applications never accepted",
    ]
    clean = chaos_report(
        offers[:1], {"ok": arrivals["ok"]}, [], 0.0, DoubleFilings({}, {}), 1, 0, []
    )
    assert clean.failures == [] and clean.resends == 1

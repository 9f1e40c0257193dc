"""Which results a router decision joins (its span links to theirs)."""

from __future__ import annotations

from uuid6 import uuid7

from contracts.catalog import load_catalog
from contracts.envelope import Envelope, Event
from contracts.events import (
    MissingMaterial,
    OutcomeDecided,
    ResultRecorded,
    SubtaskCompleted,
    SubtaskDispatched,
    SupplementNoticeIssued,
    SupplementRequested,
)
from services.router.domain.fan_in import joined, latest_results

APP = uuid7()
MATTER = load_catalog().matter("business-startup")


def result(event: Event, span: int) -> Envelope:
    return Envelope.new(
        event,
        application_id=APP,
        producer="dept_adapter",
        traceparent=f"00-{'a' * 32}-{span:016x}-01",
    )


def completed(subtask: str, department: str, span: int) -> Envelope:
    done = SubtaskCompleted(subtask=subtask, department=department, filing_key=f"k:{subtask}:1")
    return result(done, span)


def recorded(*results: Envelope) -> list[Envelope]:
    return [
        Envelope.new(ResultRecorded(result=r), application_id=APP, producer="router")
        for r in results
    ]


def dispatched(subtask: str) -> SubtaskDispatched:
    step = MATTER.subtask(subtask)
    return SubtaskDispatched(
        subtask=subtask, department=step.department, title=step.title, filing_key="k",
        inputs={}, time_limit_days=1,
    )  # fmt: skip


def spans(envelopes: list[Envelope]) -> list[str]:
    return sorted(str(e.traceparent).split("-")[2] for e in envelopes)


def test_the_latest_result_of_each_subtask_counts() -> None:
    asked = result(
        SupplementRequested(
            subtask="tax-invoice",
            department="tax",
            filing_key="k:tax-invoice:1",
            materials=(MissingMaterial(code="articles", name="章程", reason="缺页"),),
        ),
        1,
    )
    history = recorded(
        completed("amr-licence", "amr", 2), asked, completed("tax-invoice", "tax", 3)
    )
    latest = latest_results(history)
    assert spans(list(latest.values())) == [f"{2:016x}", f"{3:016x}"]
    assert joined(OutcomeDecided.model_construct(), latest, MATTER) == list(latest.values())


def test_a_notice_joins_the_supplement_requests_it_merges() -> None:
    asked = [
        result(
            SupplementRequested(
                subtask=code,
                department=dept,
                filing_key=f"k:{code}:1",
                materials=(MissingMaterial(code="articles", name="章程", reason="缺页"),),
            ),
            span,
        )
        for code, dept, span in (("tax-invoice", "tax", 4), ("psb-seal", "psb", 5))
    ]
    latest = latest_results(recorded(completed("amr-licence", "amr", 2), *asked))
    notice = SupplementNoticeIssued.model_construct()
    assert spans(joined(notice, latest, MATTER)) == [f"{4:016x}", f"{5:016x}"]


def test_a_dispatch_joins_only_when_it_has_several_prerequisites() -> None:
    latest = latest_results(
        recorded(completed("amr-licence", "amr", 2), completed("psb-seal", "psb", 6))
    )
    assert joined(dispatched("tax-invoice"), latest, MATTER) == []  # one prerequisite
    both = MATTER.subtask("hpf-provident-fund").model_copy(
        update={"requires": ("amr-licence", "psb-seal")}
    )
    joining = MATTER.model_copy(
        update={"subtasks": tuple(both if s.code == both.code else s for s in MATTER.subtasks)}
    )
    found = joined(dispatched("hpf-provident-fund"), latest, joining)
    assert spans(found) == [f"{2:016x}", f"{6:016x}"]
    assert joined(dispatched("hpf-provident-fund"), latest, None) == []

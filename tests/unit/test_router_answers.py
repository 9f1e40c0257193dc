"""How the router judges a department's answer (services/router/domain/results.py): applied,
ignored with a reason, or no answer to this application at all (dead-lettered by the
handler) — on the real catalog, without I/O."""

from __future__ import annotations

import pytest
from uuid6 import uuid7

from contracts.envelope import Envelope
from contracts.events import (
    FilingCancelled,
    ResultIgnored,
    ResultRecorded,
    SubtaskCompleted,
    SubtaskDispatched,
    SubtaskRejected,
    SupplementSubmitted,
)
from services.router.domain.recording import record
from services.router.domain.results import NotAnAnswer
from tests.router_flow import LICENCE, Flow, ignored, of


def completed(flow: Flow, subtask: str, filing_key: str, **outputs: str) -> SubtaskCompleted:
    department = flow.matter.subtask(subtask).department
    return SubtaskCompleted(
        subtask=subtask, department=department, filing_key=filing_key, outputs=outputs
    )


def finish(flow: Flow, subtask: str) -> None:
    """Complete `subtask` with every output the catalog declares for it."""
    flow.complete(subtask, **{o: f"{subtask}-{o}" for o in flow.matter.subtask(subtask).outputs})


def test_the_awaited_answer_is_applied_and_carries_the_answer_whole() -> None:
    flow = Flow()
    answer = completed(flow, "amr-licence", flow.key("amr-licence"), **LICENCE)
    recorded, *_ = flow.receive(answer)
    assert isinstance(recorded, ResultRecorded)
    assert recorded.result.event_type == "SubtaskCompleted"
    assert recorded.result.payload == answer.model_dump(mode="json")
    assert flow.process.subtasks["amr-licence"].status == "completed"


@pytest.mark.parametrize(
    ("subtask", "department", "key", "names"),
    [
        ("psb-nonexistent", "psb", "{app}:psb-nonexistent:1", "sub-task 'psb-nonexistent'"),
        ("amr-licence", "tax", "{app}:amr-licence:1", "department 'tax'"),
        ("amr-licence", "amr", "{app}:amr-licence:2", "filing_key '{app}:amr-licence:2'"),
        ("amr-licence", "amr", "{other}:amr-licence:1", "filing_key '{other}:amr-licence:1'"),
        ("psb-seal", "psb", "{app}:psb-seal:1", "none yet"),  # not dispatched before amr
    ],
)
def test_an_answer_naming_what_the_application_does_not_have_is_no_answer(
    subtask: str, department: str, key: str, names: str
) -> None:
    flow, other = Flow(), uuid7()
    before = flow.process
    ids = {"app": flow.application_id, "other": other}
    answer = completed(flow, "amr-licence", key.format(**ids)).model_copy(
        update={"subtask": subtask, "department": department}
    )
    with pytest.raises(NotAnAnswer) as raised:
        flow.receive(answer)
    assert names.format(**ids) in str(raised.value)
    assert str(flow.application_id) in str(raised.value)
    assert flow.process == before


def test_an_unreadable_answer_is_no_answer() -> None:
    flow = Flow()
    answer = completed(flow, "amr-licence", flow.key("amr-licence"))
    envelope = Envelope.new(answer, application_id=flow.application_id, producer="legacy-x")
    broken = envelope.model_copy(update={"payload": {**envelope.payload, "outputs": "none"}})
    with pytest.raises(NotAnAnswer, match="SubtaskCompleted does not match its schema"):
        record(flow.process, flow.matter, broken)


def test_a_completion_without_the_catalogs_outputs_is_no_answer() -> None:
    flow = Flow()
    before = flow.process
    partial = {k: v for k, v in LICENCE.items() if k != "credit_code"}
    with pytest.raises(NotAnAnswer) as raised:
        flow.receive(completed(flow, "amr-licence", flow.key("amr-licence"), **partial))
    assert "lacks outputs credit_code" in str(raised.value)
    assert flow.process == before


def test_an_answer_to_an_earlier_round_is_stale() -> None:
    flow = Flow()
    flow.complete("amr-licence", **LICENCE)
    first = flow.key("tax-invoice")
    flow.supplement("tax-invoice", "id-tax-officer")
    for subtask in ("psb-seal", "hrss-social-insurance", "hpf-provident-fund"):
        finish(flow, subtask)
    (notice_id,) = [flow.process.pending_notice]
    resumed = of(SubtaskDispatched, flow.receive(SupplementSubmitted(notice_id=str(notice_id))))
    assert [d.filing_key for d in resumed] == [first.replace(":1", ":2")]
    before = flow.process
    late = SubtaskRejected(subtask="tax-invoice", department="tax", filing_key=first, reason="?")
    assert ignored(flow.receive(late)) == ["stale"]
    assert flow.process == before


def test_a_cancellation_nobody_asked_for_is_ignored() -> None:
    flow = Flow()
    key = flow.key("amr-licence")
    cancelled = FilingCancelled(
        subtask="amr-licence", department="amr", filing_key=key, confirmed=True
    )
    assert ignored(flow.receive(cancelled)) == ["not-cancelling"]
    assert flow.process.subtasks["amr-licence"].status == "dispatched"


def test_after_the_outcome_every_answer_is_ignored_as_decided() -> None:
    flow = Flow("equity-transfer")
    while not flow.process.decided:
        (code,) = [s.code for s in flow.process.in_flight()]
        finish(flow, code)
    last = next(iter(flow.process.subtasks))
    again = completed(flow, last, flow.key(last), **flow.process.subtasks[last].outputs)
    (kept,) = flow.receive(again)
    assert isinstance(kept, ResultIgnored) and kept.reason == "decided"

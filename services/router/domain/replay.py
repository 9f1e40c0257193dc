"""The process as the router's log tells it: `mutate` applies one recorded event."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from uuid import UUID

from contracts.catalog import Matter
from contracts.envelope import Envelope, Event
from contracts.events import (
    EvidenceChecked,
    FilingCancelled,
    OutcomeDecided,
    RegisterLookupRequested,
    ResultHeld,
    ResultRecorded,
    SubtaskAccepted,
    SubtaskCancelled,
    SubtaskCompleted,
    SubtaskDispatched,
    SubtaskFailed,
    SubtaskRejected,
    SupplementNoticeIssued,
    SupplementRequested,
)
from contracts.registry import decode, narrow
from services.router.domain.clocks import CLOCK_EVENTS
from services.router.domain.events import (
    LookupRecorded,
    MaterialsRecorded,
    ProcessStarted,
    SupplementAccepted,
    SupplementLapsed,
    WithdrawalRecorded,
)
from services.router.domain.evidence import recorded
from services.router.domain.process import Evidence, Process, start


def mutate(process: Process, event: Event) -> Process:
    """The state after `event`; every event here is one the router itself recorded."""
    match event:
        case SubtaskDispatched():
            return process.with_subtask(
                event.subtask, status="dispatched", round=_round(event.filing_key),
                filing_key=event.filing_key, missing=(), reason=None, legacy_receipt=None,
            )  # fmt: skip
        case SubtaskCancelled():
            return process.with_subtask(event.subtask, status="cancelling")
        case ResultRecorded():
            return _apply_result(process, event.result)
        case SupplementNoticeIssued():
            return replace(
                process, pending_notice=event.notice_id, notices_issued=process.notices_issued + 1
            )
        case SupplementAccepted():
            process = replace(
                process,
                pending_notice=None,
                form=event.form or process.form,
                materials=process.materials | set(event.materials),
                evidence=replace(  # a new round: look again at what the answer changed
                    process.evidence,
                    looked_up=False,
                    unavailable=frozenset(),
                    checked=False,
                    corrections=False,
                    library=Evidence.of(event.library),
                ),
            )
            for state in process.subtasks.values():
                if state.status == "supplement":
                    process = process.with_subtask(state.code, status="waiting")
            return process
        case RegisterLookupRequested():
            asked = {
                (lookup.dataset, wanted.key): frozenset(wanted.fields)
                for lookup in event.lookups
                for wanted in lookup.records
            }
            evidence = process.evidence
            return replace(
                process,
                evidence=replace(
                    evidence, lookups=evidence.lookups + 1, pending=event.lookup_key, asked=asked
                ),
            )
        case LookupRecorded():
            evidence = process.evidence
            unavailable = {a.dataset for a in event.answers if not a.available}
            return replace(
                process,
                evidence=replace(
                    evidence,
                    pending=None,
                    asked={},
                    looked_up=True,
                    records=recorded(evidence.records, evidence.asked, event.answers),
                    unavailable=frozenset(unavailable),
                ),
            )
        case EvidenceChecked():
            return _apply_findings(process, event)
        case WithdrawalRecorded():
            return replace(process, ending=process.ending or "withdrawn")
        case SupplementLapsed():
            return replace(process, ending=process.ending or "lapsed")
        case MaterialsRecorded():
            return replace(process, materials=process.materials | set(event.materials))
        case ResultHeld():
            return replace(process, held=True)
        case OutcomeDecided():
            return replace(process, decided=True)
        case _ if isinstance(event, CLOCK_EVENTS):
            return replace(process, clocks=process.clocks.apply(event))
    return process


def _apply_findings(process: Process, checked: EvidenceChecked) -> Process:
    process = replace(
        process,
        evidence=replace(process.evidence, checked=True, corrections=bool(checked.supplements)),
    )
    for request in checked.supplements:
        process = process.with_subtask(
            request.subtask, status="supplement", missing=request.materials
        )
    for refusal in checked.refusals:
        process = process.with_subtask(refusal.subtask, status="rejected", reason=refusal.reason)
        process = replace(process, ending=process.ending or "rejected")
    return process


def _apply_result(process: Process, envelope: Envelope) -> Process:
    result = decode(envelope)
    match result:
        case SubtaskAccepted():
            return process.with_subtask(
                result.subtask, status="accepted", legacy_receipt=result.legacy_receipt
            )
        case SubtaskCompleted():
            return process.with_subtask(
                result.subtask,
                status="completed",
                outputs=result.outputs,
                completed_at=envelope.occurred_at,
                legacy_receipt=result.legacy_receipt or _receipt(process, result.subtask),
            )
        case SubtaskRejected():
            process = process.with_subtask(result.subtask, status="rejected", reason=result.reason)
            return replace(process, ending=process.ending or "rejected")
        case SubtaskFailed():
            process = process.with_subtask(result.subtask, status="failed", reason=result.error)
            return replace(process, ending=process.ending or "rejected")
        case SupplementRequested():
            return process.with_subtask(
                result.subtask, status="supplement", missing=result.materials
            )
        case FilingCancelled():
            return process.with_subtask(result.subtask, status="cancelled")
    return process


def _round(filing_key: str) -> int:
    return int(filing_key.rsplit(":", 1)[1])


def _receipt(process: Process, subtask: str) -> str | None:
    return process.subtasks[subtask].legacy_receipt


def replay(application_id: str, events: list[Event], matter_of: dict[str, Matter]) -> Process:
    """The process as the router's log tells it; the first event is always ProcessStarted."""
    first = narrow(events[0], ProcessStarted)  # a process's log starts with it
    process = start(application_id, first, matter_of[first.matter])
    for event in events[1:]:
        process = mutate(process, event)
    return process


def after(process: Process, events: list[Event]) -> Process:
    for event in events:
        process = mutate(process, event)
    return process


class Replayed:
    """The processes rebuilt so far, so that an event does not replay its process from the
    first event again. A state is found by its stream, its length and its last event id:
    the log never changes what it recorded, and a batch that rolled back leaves ids that no
    later event has, so a state kept from it is never taken for the stream's."""

    def __init__(self, matters: Mapping[str, Matter], keep: int = 20_000) -> None:
        self.matters, self.size = dict(matters), keep
        self._states: OrderedDict[str, tuple[int, UUID, Process]] = OrderedDict()

    def of(self, stream_id: str, events: Sequence[Envelope]) -> Process:
        """The process `events` (the whole stream) tell."""
        kept = self._states.get(stream_id)
        if (
            kept is not None
            and 0 < kept[0] <= len(events)
            and events[kept[0] - 1].event_id == kept[1]
        ):
            process = after(kept[2], [decode(e) for e in events[kept[0] :]])
        else:
            application_id = str(events[0].application_id)
            process = replay(application_id, [decode(e) for e in events], self.matters)
        self.keep(stream_id, events, process)
        return process

    def keep(self, stream_id: str, events: Sequence[Envelope], process: Process) -> None:
        """Remember `process` as what the whole stream `events` tell."""
        self._states[stream_id] = (len(events), events[-1].event_id, process)
        self._states.move_to_end(stream_id)
        while len(self._states) > self.size:
            self._states.popitem(last=False)

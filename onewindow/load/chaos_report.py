"""What a chaos run comes to: accepted, one results, lost, doubles, and how long the system
took to heal after each fault; a table, JSON, and the verdict."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from onewindow.load.faults import PlannedFault
from onewindow.load.figures import percentile
from onewindow.load.flow_report import latencies
from onewindow.load.generator import Offer
from onewindow.load.legacy import DoubleFilings
from onewindow.load.observer import Arrivals


@dataclass(frozen=True)
class DoneFault:
    planned: PlannedFault
    started: float  # monotonic
    ended: float
    error: str | None = None  # the fault could not be done (e.g. a part did not start again)
    ready: float | None = None  # when the part answered as ready again
    watching: asyncio.Task[float | None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Healing:
    kind: str
    target: str
    at_s: float  # after the first submission
    took_s: float  # to do the fault: kill and start again
    ready_s: float | None  # until the part was ready again
    next_result_s: float | None  # first one result after the fault began
    healed_s: float | None  # first one result of an application offered after the fault began
    error: str | None


def healing(
    fault: DoneFault, start: float, offers: list[Offer], arrivals: Mapping[str, Arrivals]
) -> Healing:
    """The system counts as healed when an application offered after the fault began got its
    one result: that result went through every service. Results flowing on earlier may come
    from work already past the part that failed."""
    after = [
        t for a in arrivals.values() if (t := a.first_outcome_at) is not None and t > fault.started
    ]
    offered_after = [
        t
        for o in offers
        if o.first_sent is not None
        and o.first_sent >= fault.started
        and (a := arrivals.get(o.key)) is not None
        and (t := a.first_outcome_at) is not None
    ]
    return Healing(
        kind=fault.planned.kind,
        target=fault.planned.target,
        at_s=fault.started - start,
        took_s=fault.ended - fault.started,
        ready_s=None if fault.ready is None else fault.ready - fault.started,
        next_result_s=min(after) - fault.started if after else None,
        healed_s=min(offered_after) - fault.started if offered_after else None,
        error=fault.error,
    )


@dataclass(frozen=True)
class ChaosReport:
    offered: int
    accepted: int
    not_accepted: int  # never answered 202, retried until the settle deadline or refused
    refusals: list[str]  # a few answers of those never accepted
    results: int
    outcomes: dict[str, int]  # the one results by kind: result, rejection, ...
    lost: int  # accepted, no one result by the settle deadline
    lost_applications: list[str]  # their application ids (the first 20), to look into
    more_than_one_outcome: int  # applications with two or more distinct outcome notices
    resends: int  # a notice (same delivery id) received again
    unsigned: int  # deliveries whose signature did not verify
    double_filings: DoubleFilings
    legacy_requests: int
    latency_p50_s: float | None
    healing: list[Healing]
    services_down: list[str]  # not running at the end

    @property
    def failures(self) -> list[str]:
        """Why the run failed; empty when nothing was lost or done twice. A resend of the
        same notice is not a failure: delivery is at least once, the receiver drops repeats
        by the delivery id (docs/notifier.md)."""
        found = {
            "accepted applications without their one result": self.lost,
            "applications with more than one outcome": self.more_than_one_outcome,
            "filings done twice at a legacy system": self.double_filings.total,
            "applications never accepted": self.not_accepted,
            "deliveries with a bad signature": self.unsigned,
        }
        return [f"{n} {what}" for what, n in found.items() if n]


def chaos_report(
    offers: list[Offer],
    arrivals: Mapping[str, Arrivals],
    faults: list[DoneFault],
    start: float,
    double_filings: DoubleFilings,
    legacy_requests: int,
    unsigned: int,
    services_down: list[str],
) -> ChaosReport:
    accepted = [o for o in offers if o.accepted]
    answered = [o for o in accepted if o.key in arrivals and arrivals[o.key].outcomes]
    never = [o for o in offers if not o.accepted]
    return ChaosReport(
        offered=len(offers),
        accepted=len(accepted),
        not_accepted=len(never),
        refusals=sorted({o.refusal or "not offered" for o in never})[:5],
        results=len(answered),
        outcomes=dict(Counter(str(arrivals[o.key].outcomes[0].body.get("kind")) for o in answered)),
        lost=len(accepted) - len(answered),
        lost_applications=[
            str(o.application_id) for o in accepted if not arrivals.get(o.key, Arrivals()).outcomes
        ][:20],
        more_than_one_outcome=sum(1 for a in arrivals.values() if a.distinct_outcomes > 1),
        resends=sum(a.resends for a in arrivals.values()),
        unsigned=unsigned,
        double_filings=double_filings,
        legacy_requests=legacy_requests,
        latency_p50_s=percentile(latencies(offers, arrivals), 50),
        healing=[healing(f, start, offers, arrivals) for f in faults],
        services_down=services_down,
    )


def as_dict(report: ChaosReport) -> dict[str, Any]:
    return {**asdict(report), "failures": report.failures}


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def as_table(report: ChaosReport) -> str:
    r, d = report, report.double_filings
    lines = [
        f"offered                          {r.offered:,}",
        f"accepted (202)                   {r.accepted:,}"
        + (f"   never accepted: {r.not_accepted:,} {r.refusals}" if r.not_accepted else ""),
        f"one results                      {r.results:,}   (submit → result p50 "
        f"{_s(r.latency_p50_s)}; {', '.join(f'{k} {n:,}' for k, n in sorted(r.outcomes.items()))})",
        f"lost (accepted, no one result)   {r.lost:,}"
        + (f"   e.g. {', '.join(r.lost_applications[:3])}" if r.lost else ""),
        f"more than one outcome            {r.more_than_one_outcome:,}",
        f"filings per key above 1          {sum(d.per_key.values()):,} {d.per_key or ''}",
        f"sub-tasks filed under 2+ keys    {sum(d.per_subtask.values()):,} {d.per_subtask or ''}",
        f"same-notice resends              {r.resends:,}",
        f"bad signatures                   {r.unsigned:,}",
        f"legacy requests                  {r.legacy_requests:,}",
        f"services down at the end         {', '.join(r.services_down) or 'none'}",
        "",
        f"{'fault':<22}{'at':>8}{'took':>8}{'ready':>8}{'next result':>13}{'healed':>10}",
    ]
    for h in r.healing:
        name = f"{h.kind} {h.target}" if h.kind == "kill" else h.kind
        lines.append(
            f"{name:<22}{_s(h.at_s):>8}{_s(h.took_s):>8}{_s(h.ready_s):>8}{_s(h.next_result_s):>13}"
            f"{_s(h.healed_s):>10}" + (f"  FAILED: {h.error}" if h.error else "")
        )
    verdict = ("FAILED: " + "; ".join(r.failures)) if r.failures else "nothing lost, nothing twice"
    lines += ["", verdict]
    return "\n".join(lines)

"""The figures of `onewindow bench flow` from what a run observed, as a table and as JSON."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from onewindow.load.figures import per_second, percentile
from onewindow.load.generator import Offer
from onewindow.load.observer import Arrivals
from onewindow.stack import service_of


@dataclass(frozen=True)
class FlowSetup:
    applications: int
    mix: dict[str, int]
    rate: str
    concurrency: int
    legacy_latency: str  # "default" or "zero"
    replicas: int | None = 1  # of router, dept_adapter and notifier; None: a target's, as found


@dataclass(frozen=True)
class FlowFigures:
    setup: FlowSetup
    accepted: int
    refused: int
    results: int
    missing: int  # accepted, no one result by the end
    accepted_per_s: float | None  # over the submission window
    results_per_s: float | None  # over the whole window: first submit to last result
    events: int  # appended to every service's log in the whole window
    events_per_s: float | None
    events_per_application: float | None
    submission_window_s: float | None
    whole_window_s: float | None
    latency_s: dict[str, float | None]  # submit → one result: p50, p95, p99, max
    cpu_ms_per_application: dict[str, float | None]  # by part: a service's replicas summed
    refusals: dict[str, int]  # answers other than 202, by status (or error)
    # of each service with several replicas: each replica's, by its process
    cpu_ms_per_replica: dict[str, dict[str, float | None]] = field(default_factory=dict)


def latencies(offers: list[Offer], arrivals: Mapping[str, Arrivals]) -> list[float]:
    """Submit (first attempt) → first one result, for each application that got one."""
    found = []
    for offer in offers:
        got = arrivals.get(offer.key)
        if offer.first_sent is not None and got is not None and got.first_outcome_at is not None:
            found.append(got.first_outcome_at - offer.first_sent)
    return found


def flow_figures(
    setup: FlowSetup,
    offers: list[Offer],
    arrivals: Mapping[str, Arrivals],
    events: int,
    cpu_ms: Mapping[str, float | None],
) -> FlowFigures:
    sent = [o.first_sent for o in offers if o.first_sent is not None]
    taken = [o.accepted_at for o in offers if o.accepted_at is not None]
    ends = [a.first_outcome_at for a in arrivals.values() if a.first_outcome_at is not None]
    start = min(sent) if sent else None
    accepted_keys = {o.key for o in offers if o.accepted}
    results = sum(1 for k in accepted_keys if k in arrivals and arrivals[k].outcomes)
    submission_end = max(taken) if taken else None
    whole_end = max(ends) if ends else None
    lat = latencies(offers, arrivals)
    per_service = by_service(
        {
            part: (ms / results if ms is not None and results else None)
            for part, ms in cpu_ms.items()
        }
    )
    refused = [o for o in offers if not o.accepted and o.first_sent is not None]
    return FlowFigures(
        setup=setup,
        accepted=len(accepted_keys),
        refused=len(refused),
        results=results,
        missing=len(accepted_keys) - results,
        accepted_per_s=per_second(len(taken), start, submission_end),
        results_per_s=per_second(results, start, whole_end),
        events=events,
        events_per_s=per_second(events, start, whole_end),
        events_per_application=events / results if results else None,
        submission_window_s=_span(start, submission_end),
        whole_window_s=_span(start, whole_end),
        latency_s={f"p{p}": percentile(lat, p) for p in (50, 95, 99)}
        | {"max": max(lat) if lat else None},
        cpu_ms_per_application={s: _summed(each) for s, each in per_service.items()},
        refusals=dict(Counter((o.refusal or "?").split(" ", 1)[0] for o in refused)),
        cpu_ms_per_replica={s: each for s, each in per_service.items() if len(each) > 1},
    )


def by_service(
    per_process: Mapping[str, float | None],
) -> dict[str, dict[str, float | None]]:
    """Each part's figures by process, a service's replicas (processes of their own) together."""
    grouped: dict[str, dict[str, float | None]] = {}
    for process, value in per_process.items():
        grouped.setdefault(service_of(process), {})[process] = value
    return grouped


def _summed(each: Mapping[str, float | None]) -> float | None:
    """A service's replicas together; not known if one of them is not."""
    known = [v for v in each.values() if v is not None]
    return sum(known) if len(known) == len(each) else None


def _span(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else end - start


def as_dict(figures: FlowFigures) -> dict[str, Any]:
    return asdict(figures)


def _n(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}{unit}"


def _replicas(each: Mapping[str, float | None] | None) -> str:
    if not each:
        return ""
    return f"  ({len(each)} replicas: {' + '.join(_n(v) for v in each.values())})"


def as_table(figures: FlowFigures) -> str:
    s = figures.setup
    mix = ",".join(f"{m}={w}" for m, w in s.mix.items())
    rows = [
        ("applications offered", f"{s.applications:,} ({mix}) at {s.rate}, "
         f"concurrency {s.concurrency}, legacy latency {s.legacy_latency}"
         + (f", {s.replicas} replicas" if s.replicas and s.replicas > 1 else "")),
        ("accepted / refused", f"{figures.accepted:,} / {figures.refused:,}"
         + (f" {figures.refusals}" if figures.refusals else "")),
        ("one results / missing", f"{figures.results:,} / {figures.missing:,}"),
        ("accepted/s (submission window)",
         f"{_n(figures.accepted_per_s)}  over {_n(figures.submission_window_s, ' s')}"),
        ("one results/s (whole window)",
         f"{_n(figures.results_per_s)}  over {_n(figures.whole_window_s, ' s')}"),
        ("events/s (every service's log)",
         f"{_n(figures.events_per_s)}  ({figures.events:,} events, "
         f"{_n(figures.events_per_application)} per application)"),
        ("submit → one result",
         "  ".join(f"{k} {_n(v, ' s', 2)}" for k, v in figures.latency_s.items())),
        ("CPU ms per application", ""),
        *((f"  {part}", _n(ms, " ms") + _replicas(figures.cpu_ms_per_replica.get(part)))
          for part, ms in figures.cpu_ms_per_application.items()),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}".rstrip() for name, value in rows)

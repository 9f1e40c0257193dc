"""The PNG of a flow run: each application's latency over the run, and accepted and one
results per second. Drawn offscreen (Agg), so it needs no display."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from onewindow.load.figures import counts_per_second
from onewindow.load.generator import Offer
from onewindow.load.observer import Arrivals


def plot_flow(
    path: Path, offers: list[Offer], arrivals: Mapping[str, Arrivals], title: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sent = [o.first_sent for o in offers if o.first_sent is not None]
    if not sent:
        raise ValueError("nothing was offered: no plot")
    start = min(sent)
    points = [
        (o.first_sent - start, a.first_outcome_at - o.first_sent)
        for o in offers
        if o.first_sent is not None
        and (a := arrivals.get(o.key)) is not None
        and a.first_outcome_at is not None
    ]
    taken = [o.accepted_at for o in offers if o.accepted_at is not None]
    ends = [t for a in arrivals.values() if (t := a.first_outcome_at) is not None]
    seconds = math.ceil(max([*taken, *ends, start + 1]) - start)

    figure, (latency, throughput) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    figure.suptitle(title)
    if points:
        latency.scatter([p[0] for p in points], [p[1] for p in points], s=4, alpha=0.6)
    latency.set_ylabel("submit → one result (s)")
    latency.grid(alpha=0.3)
    axis = list(range(seconds))
    throughput.step(
        axis, counts_per_second(taken, start, seconds), where="post", label="accepted/s"
    )
    throughput.step(
        axis, counts_per_second(ends, start, seconds), where="post", label="one results/s"
    )
    throughput.set_xlabel("seconds since the first submit")
    throughput.set_ylabel("per second")
    throughput.legend()
    throughput.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)

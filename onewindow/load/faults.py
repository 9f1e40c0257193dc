"""When which fault is done during a chaos run: a plan, made before the run from a seed."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from onewindow.stack import SERVICES

FAULT_KINDS = ("kill", "postgres", "broker")
# Where in the window the single faults go: PostgreSQL's restart before the broker's loss,
# so that healing from the first is seen even if the system does not heal from the second.
SINGLE_AT = {"postgres": 0.45, "broker": 0.75}


@dataclass(frozen=True)
class PlannedFault:
    at: float  # seconds after the first submission
    kind: str  # kill | postgres | broker
    target: str  # the service killed, or "postgresql" / "broker"


class PlanError(ValueError):
    """The window has too few slots for the faults asked for."""


def plan_faults(
    window_seconds: float,
    every_seconds: float,
    kinds: Collection[str],
    rng: random.Random,
    services: Sequence[str] = tuple(SERVICES),
) -> list[PlannedFault]:
    """A fault every ``every_seconds`` inside the window. PostgreSQL's restart and the broker's
    loss take one slot each, near 45 % and 75 % of the window; the other slots kill a service,
    drawn in shuffled rounds of all services, so that each is killed once before any twice."""
    unknown = set(kinds) - set(FAULT_KINDS)
    if unknown:
        raise PlanError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(FAULT_KINDS)}")
    slots = [every_seconds * n for n in range(1, int(window_seconds / every_seconds) + 1)]
    slots = [s for s in slots if s < window_seconds]
    singles = [kind for kind in SINGLE_AT if kind in kinds]
    needed = len(singles) + (len(services) if "kill" in kinds else 0)
    if len(slots) < needed:
        raise PlanError(
            f"a window of {window_seconds:.0f} s with a fault every {every_seconds:g} s has"
            f" {len(slots)} slots; {needed} are needed for every fault kind asked for once:"
            " offer more applications, at a lower rate, or fault more often"
        )
    free = list(slots)
    plan: list[PlannedFault] = []
    for kind in singles:
        slot = min(free, key=lambda s: abs(s - SINGLE_AT[kind] * window_seconds))
        free.remove(slot)
        plan.append(PlannedFault(slot, kind, "postgresql" if kind == "postgres" else "broker"))
    if "kill" in kinds:
        victims: list[str] = []
        for slot in free:
            if not victims:
                victims = rng.sample(list(services), len(services))
            plan.append(PlannedFault(slot, "kill", victims.pop()))
    return sorted(plan, key=lambda f: f.at)

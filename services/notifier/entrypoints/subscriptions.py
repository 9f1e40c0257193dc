"""The notifier's topic subscriptions, each an inbox consumer of its own group."""

from __future__ import annotations

from contracts.catalog import Catalog
from contracts.subscriptions import APPLICANTS, CLOCK_NOTICES, DELIVERY
from eventlog.unit_of_work import DerivedFactory
from runtime.clock import SYSTEM_CLOCK, Clock
from runtime.consumer import Consumer, by_event_type
from services.notifier.adapters.applications import Applications
from services.notifier.domain.contacts import Watchers
from services.notifier.handlers import application_handlers, clock_handlers, outcome_handlers


def subscriptions(
    watching: Watchers,
    catalog: Catalog,
    applications: DerivedFactory,
    clock: Clock = SYSTEM_CLOCK,
) -> list[Consumer]:
    """Three groups, each at its own pace: a clock event may come before the submission
    it names is seen, and the reminder then waits for it (handlers/clocks.py).
    `applications` builds the writer of the applications projection on a unit's connection."""
    return [
        Consumer("delivery", DELIVERY, by_event_type(outcome_handlers(catalog, clock))),
        Consumer(
            "supervision",
            CLOCK_NOTICES,
            by_event_type(clock_handlers(watching, catalog, clock)),
            derived={Applications: applications},
        ),
        Consumer(
            "applications",
            APPLICANTS,
            by_event_type(application_handlers(catalog, clock)),
            owns_topics=False,
            derived={Applications: applications},
        ),
    ]

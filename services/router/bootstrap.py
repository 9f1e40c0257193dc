"""The composition root of router: catalog, calendar, clock, the process consumer, the
clock ticker and the migrations of its own tables (clock marks, the e-certificate library)."""

from __future__ import annotations

from pathlib import Path

from contracts.calendar import load_calendar
from contracts.catalog import load_catalog
from contracts.departments import DEPARTMENTS
from contracts.subscriptions import PROCESS
from contracts.topics import (
    LOOKUPS,
    OUTCOMES,
    PROGRESS,
    SUPERVISION,
    tasks_topic,
)
from runtime.clock import clock_from
from runtime.consumer import Consumer
from runtime.service import Service
from services.router.entrypoints.ticker import ticker
from services.router.handlers import DERIVED, handle_with, process_stream
from services.router.settings import RouterSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: RouterSettings | None = None, *, schema: str = "router") -> Service:
    """`schema` names the service's schema and consumer groups (tests use one of their own)."""
    settings = settings or RouterSettings()
    catalog = load_catalog()  # an invalid catalog stops the service here, naming the field
    calendar = load_calendar()  # so does an invalid calendar
    clock = clock_from(settings.clock_file)
    return Service(
        schema,
        settings,
        consumers=[
            Consumer(
                "process",
                PROCESS,
                handle_with(catalog, calendar, clock),
                streams_of=lambda envelope: [process_stream(envelope.application_id)],
                derived=DERIVED,
            )
        ],
        publishes_to=[
            OUTCOMES,
            PROGRESS,
            SUPERVISION,
            LOOKUPS,
            *(tasks_topic(d) for d in DEPARTMENTS),
        ],
        migrations=[MIGRATIONS],
        background={
            "clock-ticker": ticker(catalog.matters, calendar, clock, settings.clock_tick_seconds)
        },
    )

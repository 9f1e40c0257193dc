"""The composition root of intake: catalog, calendar, clock, routes, the read model's
consumer, migrations."""

from __future__ import annotations

from pathlib import Path

from contracts.calendar import load_calendar
from contracts.catalog import load_catalog
from contracts.subscriptions import READ_MODEL
from contracts.topics import (
    APPLICATIONS,
)
from runtime.clock import clock_from
from runtime.consumer import Consumer
from runtime.service import Service
from services.intake.adapters.commands import PostgresCommands
from services.intake.adapters.projection import ReadModel
from services.intake.entrypoints.applications import application_routes
from services.intake.entrypoints.catalog import catalog_routes
from services.intake.entrypoints.certificates import certificate_routes
from services.intake.entrypoints.follow_ups import follow_up_routes
from services.intake.entrypoints.guard import fallback_routes
from services.intake.entrypoints.ops.routes import ops_routes
from services.intake.entrypoints.stats import stats_routes
from services.intake.handlers import Rules, project
from services.intake.settings import IntakeSettings

MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["IntakeSettings", "build"]


def build(settings: IntakeSettings | None = None, *, schema: str = "intake") -> Service:
    """`schema` names the service's schema and consumer groups (tests use one of their own)."""
    settings = settings or IntakeSettings()
    catalog = load_catalog()
    rules = Rules(catalog, load_calendar(), clock_from(settings.clock_file), settings.webhook_allow)
    routes = [
        catalog_routes(catalog),
        application_routes(rules, PostgresCommands),
        follow_up_routes(rules, PostgresCommands),
        stats_routes(rules),
        *certificate_routes(rules),
    ]
    return Service(
        schema,
        settings,
        consumers=[
            Consumer(
                "read-model",
                READ_MODEL,
                project,
                owns_topics=False,
                derived={ReadModel: ReadModel},
            )
        ],
        publishes_to=[APPLICATIONS],
        routers=[*routes, fallback_routes(*routes), ops_routes(settings, catalog, rules.clock)],
        migrations=[MIGRATIONS],
    )

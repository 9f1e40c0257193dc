"""The notifier's composition root: the inbox consumers (outcomes, supervision, the
applications projection) and the delivery workers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from contracts.catalog import Catalog, load_catalog
from contracts.subscriptions import APPLICANTS, CLOCK_NOTICES, DELIVERY
from contracts.topics import NOTIFICATIONS
from runtime.consumer import Consumer, by_event_type
from runtime.service import Service, Work
from runtime.tracing import instrument_http_client
from services.notifier.adapters.applications import Applications
from services.notifier.adapters.contacts_file import load_contacts
from services.notifier.adapters.sms import SmsGatewaySender
from services.notifier.adapters.smtp import SmtpSender
from services.notifier.adapters.webhook import WebhookSender
from services.notifier.adapters.webhook_targets import Resolver, SystemResolver, checked_client
from services.notifier.application_handlers import application_handlers
from services.notifier.attempts import RetryPolicy
from services.notifier.clock_handlers import clock_handlers
from services.notifier.delivery import DeliveryWorker
from services.notifier.domain.contacts import Watchers
from services.notifier.domain.delivery import Sender
from services.notifier.handlers import outcome_handlers
from services.notifier.settings import NotifierSettings

__all__ = ["MIGRATIONS", "NotifierSettings", "build", "consumers", "watchers"]

MIGRATIONS = Path(__file__).parent / "migrations"


def senders(
    settings: NotifierSettings, http: httpx.AsyncClient, applicants: httpx.AsyncClient
) -> dict[str, Sender]:
    """`http` for the operators' own receivers (SMS gateway, supervision webhooks);
    `applicants` for applicants' webhooks, held to the webhook policy."""
    return {
        "webhook": WebhookSender(applicants, http, settings.webhook_secret),
        "email": SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            timeout=settings.delivery_timeout_seconds,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
        ),
        "sms": SmsGatewaySender(http, settings.sms_gateway_url, settings.sms_api_key),
    }


def retry_policy(settings: NotifierSettings) -> RetryPolicy:
    return RetryPolicy(
        settings.delivery_max_attempts,
        settings.delivery_backoff_seconds,
        settings.delivery_backoff_max_seconds,
    )


def delivery_workers(settings: NotifierSettings, resolver: Resolver | None = None) -> Work:
    """`resolver` looks up applicants' webhook hosts: the system's unless a test gives one."""

    async def deliver(service: Service, stop: asyncio.Event) -> None:
        timeout = httpx.Timeout(settings.delivery_timeout_seconds)
        client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        checked = checked_client(
            settings.webhook_allow, resolver or SystemResolver(), settings.delivery_timeout_seconds
        )
        async with instrument_http_client(client) as http, instrument_http_client(checked) as hooks:
            worker = DeliveryWorker(
                service.pool,
                senders(settings, http, hooks),
                retry_policy(settings),
                rescan_seconds=settings.delivery_rescan_seconds,
            )
            await worker.run(stop)

    return deliver


def watchers(settings: NotifierSettings) -> Watchers:
    """Raises ContactsError naming the file and field when the contacts file is unusable."""
    return Watchers(settings.supervision(), load_contacts(settings.department_contacts_file))


def consumers(watching: Watchers, catalog: Catalog) -> list[Consumer]:
    """Three groups, each at its own pace: a clock event may come before the submission
    it names is seen, and the reminder then waits for it (clock_handlers)."""
    return [
        Consumer("delivery", DELIVERY, by_event_type(outcome_handlers(catalog))),
        Consumer(
            "supervision",
            CLOCK_NOTICES,
            by_event_type(clock_handlers(watching, catalog)),
            derived={Applications: Applications},
        ),
        Consumer(
            "applications",
            APPLICANTS,
            by_event_type(application_handlers(catalog)),
            owns_topics=False,
            derived={Applications: Applications},
        ),
    ]


def build(settings: NotifierSettings | None = None) -> Service:
    """Raises pydantic's ValidationError for bad settings, ContactsError or CatalogError for
    unusable data files: the service does not start."""
    settings = settings or NotifierSettings()
    return Service(
        "notifier",
        settings,
        consumers=consumers(watchers(settings), load_catalog()),
        publishes_to=[NOTIFICATIONS],
        migrations=[MIGRATIONS],
        background={"delivery": delivery_workers(settings)},
    )

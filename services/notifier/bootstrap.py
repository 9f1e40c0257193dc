"""The notifier's composition root: builds the adapters (senders, HTTP clients, the notice
log, the applications projection's writer) and wires the inbox consumers (outcomes,
supervision, the applications projection) and the delivery worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

from contracts.catalog import Catalog, load_catalog
from contracts.topics import NOTIFICATIONS
from eventlog.retry import Backoff
from runtime.clock import SYSTEM_CLOCK, Clock, clock_from
from runtime.consumer import Consumer
from runtime.http_client import HttpClient
from runtime.service import Service, Work
from services.notifier.adapters.applications import Applications
from services.notifier.adapters.contacts_file import load_contacts
from services.notifier.adapters.http import Poster
from services.notifier.adapters.notice_log import NoticeLog
from services.notifier.adapters.sms import SmsGatewaySender
from services.notifier.adapters.smtp import SmtpSender
from services.notifier.adapters.webhook import WebhookSender
from services.notifier.adapters.webhook_targets import CheckedClient, Resolver, SystemResolver
from services.notifier.domain.contacts import Watchers
from services.notifier.domain.delivery import Sender
from services.notifier.entrypoints.delivery import DeliveryWorker
from services.notifier.entrypoints.subscriptions import subscriptions
from services.notifier.handlers.delivery import RetryPolicy
from services.notifier.settings import NotifierSettings

__all__ = ["MIGRATIONS", "NotifierSettings", "build", "consumers", "watchers"]

MIGRATIONS = Path(__file__).parent / "migrations"


def senders(settings: NotifierSettings, http: Poster, applicants: Poster) -> dict[str, Sender]:
    """`http` for the operators' own receivers (SMS gateway, supervision webhooks);
    `applicants` for applicants' webhooks, held to the webhook policy."""
    return {
        "webhook": WebhookSender(
            applicants, http, settings.webhook_secret, settings.delivery_timeout_seconds
        ),
        "email": SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            timeout=settings.delivery_timeout_seconds,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
        ),
        "sms": SmsGatewaySender(
            http, settings.sms_gateway_url, settings.sms_api_key, settings.delivery_timeout_seconds
        ),
    }


def retry_policy(settings: NotifierSettings) -> RetryPolicy:
    """The wait after failed attempt n is uniform in [0, min(max, first · 2^(n-1))); a first
    wait above the maximum waits the maximum, as it always did."""
    cap = settings.delivery_backoff_max_seconds
    first = min(settings.delivery_backoff_seconds, cap)
    return RetryPolicy(settings.delivery_max_attempts, Backoff(first=first, cap=cap))


def delivery_workers(settings: NotifierSettings, resolver: Resolver | None = None) -> Work:
    """`resolver` looks up applicants' webhook hosts: the system's unless a test gives one."""

    async def deliver(service: Service, stop: asyncio.Event) -> None:
        http = HttpClient()
        hooks = CheckedClient(settings.webhook_allow, resolver or SystemResolver())
        try:
            worker = DeliveryWorker(
                service.pool,
                NoticeLog(service.pool),
                senders(settings, http, hooks),
                retry_policy(settings),
                rescan_seconds=settings.delivery_rescan_seconds,
                clock=clock_from(settings.clock_file),
            )
            await worker.run(stop)
        finally:
            await http.aclose()
            await hooks.aclose()

    return deliver


def watchers(settings: NotifierSettings) -> Watchers:
    """Raises ContactsError naming the file and field when the contacts file is unusable."""
    return Watchers(settings.supervision(), load_contacts(settings.department_contacts_file))


def consumers(watching: Watchers, catalog: Catalog, clock: Clock = SYSTEM_CLOCK) -> list[Consumer]:
    return subscriptions(watching, catalog, Applications, clock)


def build(settings: NotifierSettings | None = None) -> Service:
    """Raises pydantic's ValidationError for bad settings, ContactsError or CatalogError for
    unusable data files: the service does not start."""
    settings = settings or NotifierSettings()
    return Service(
        "notifier",
        settings,
        consumers=consumers(watchers(settings), load_catalog(), clock_from(settings.clock_file)),
        publishes_to=[NOTIFICATIONS],
        migrations=[MIGRATIONS],
        background={"delivery": delivery_workers(settings)},
    )

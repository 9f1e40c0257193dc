"""The notifier's composition root: the inbox consumer of outcomes and the delivery workers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

from contracts.topics import NOTIFICATIONS, OUTCOMES
from runtime.consumer import Consumer, by_event_type
from runtime.service import Service
from services.notifier.adapters.sms import SmsGatewaySender
from services.notifier.adapters.smtp import SmtpSender
from services.notifier.adapters.webhook import WebhookSender
from services.notifier.delivery import DeliveryWorker, RetryPolicy
from services.notifier.domain.delivery import Sender
from services.notifier.handlers import HANDLERS
from services.notifier.settings import NotifierSettings

__all__ = ["MIGRATIONS", "NotifierSettings", "build"]

MIGRATIONS = Path(__file__).parent / "migrations"


def senders(settings: NotifierSettings, http: httpx.AsyncClient) -> dict[str, Sender]:
    return {
        "webhook": WebhookSender(http, settings.webhook_secret),
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


def delivery_workers(
    settings: NotifierSettings,
) -> Callable[[Service], Coroutine[Any, Any, None]]:
    async def deliver(service: Service) -> None:
        timeout = httpx.Timeout(settings.delivery_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
            worker = DeliveryWorker(
                service.pool,
                senders(settings, http),
                retry_policy(settings),
                rescan_seconds=settings.delivery_rescan_seconds,
            )
            await worker.run(service.stopping)

    return deliver


def build(settings: NotifierSettings | None = None) -> Service:
    settings = settings or NotifierSettings()
    return Service(
        "notifier",
        settings,
        consumers=[Consumer("delivery", [OUTCOMES], by_event_type(HANDLERS))],
        publishes_to=[NOTIFICATIONS],
        migrations=[MIGRATIONS],
        background=[delivery_workers(settings)],
    )

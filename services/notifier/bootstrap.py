from __future__ import annotations

from contracts.topics import NOTIFICATIONS, OUTCOMES
from runtime.consumer import Consumer, by_event_type
from runtime.service import Service
from runtime.settings import ServiceSettings
from services.notifier.handlers import HANDLERS


class NotifierSettings(ServiceSettings):
    http_port: int = 8004


def build(settings: NotifierSettings | None = None) -> Service:
    return Service(
        "notifier",
        settings or NotifierSettings(),
        consumers=[Consumer("delivery", [OUTCOMES], by_event_type(HANDLERS))],
        publishes_to=[NOTIFICATIONS],
    )

from __future__ import annotations

from contracts.departments import DEPARTMENTS
from contracts.topics import APPLICATIONS, OUTCOMES, TASK_RESULTS, tasks_topic
from runtime.consumer import Consumer, by_event_type
from runtime.service import Service
from runtime.settings import ServiceSettings
from services.router.handlers import HANDLERS


class RouterSettings(ServiceSettings):
    http_port: int = 8002


def build(settings: RouterSettings | None = None) -> Service:
    return Service(
        "router",
        settings or RouterSettings(),
        consumers=[Consumer("process", [APPLICATIONS, TASK_RESULTS], by_event_type(HANDLERS))],
        publishes_to=[OUTCOMES, *(tasks_topic(d) for d in DEPARTMENTS)],
    )

from __future__ import annotations

from contracts.catalog import load_catalog
from contracts.departments import DEPARTMENTS
from contracts.topics import APPLICATIONS, OUTCOMES, TASK_RESULTS, tasks_topic
from runtime.consumer import Consumer
from runtime.service import Service
from runtime.settings import ServiceSettings
from services.router.handlers import handle_with


class RouterSettings(ServiceSettings):
    http_port: int = 8002


def build(settings: RouterSettings | None = None) -> Service:
    catalog = load_catalog()  # an invalid catalog stops the service here, naming the field
    return Service(
        "router",
        settings or RouterSettings(),
        consumers=[Consumer("process", [APPLICATIONS, TASK_RESULTS], handle_with(catalog))],
        publishes_to=[OUTCOMES, *(tasks_topic(d) for d in DEPARTMENTS)],
    )

from __future__ import annotations

from contracts.departments import DEPARTMENTS
from contracts.topics import TASK_RESULTS, tasks_topic
from runtime.consumer import Consumer, by_event_type
from runtime.service import Service
from runtime.settings import ServiceSettings
from services.dept_adapter.handlers import HANDLERS


class DeptAdapterSettings(ServiceSettings):
    http_port: int = 8003


def build(settings: DeptAdapterSettings | None = None) -> Service:
    return Service(
        "dept_adapter",
        settings or DeptAdapterSettings(),
        consumers=[
            Consumer("filing", [tasks_topic(d) for d in DEPARTMENTS], by_event_type(HANDLERS))
        ],
        publishes_to=[TASK_RESULTS],
    )

"""The composition root of dept_adapter."""

from __future__ import annotations

import asyncio

from contracts.topics import LOOKUP_RESULTS, LOOKUPS, TASK_RESULTS, tasks_topic
from runtime.consumer import Consumer, by_event_type
from runtime.service import Service
from services.dept_adapter.config import DeptAdapterSettings, load_departments, load_registers
from services.dept_adapter.entrypoints.http import routes
from services.dept_adapter.handlers import filing_streams, inbox_handlers
from services.dept_adapter.runner import Runner

__all__ = ["DeptAdapterSettings", "build"]


def build(settings: DeptAdapterSettings | None = None) -> Service:
    """Raises DepartmentsConfigError, naming the department (or register) and field, on a bad
    config file."""
    settings = settings or DeptAdapterSettings()
    departments = load_departments(settings.departments_file)
    runner = Runner(settings, departments, load_registers(settings.registers_file))

    async def file_with_departments(service: Service, stop: asyncio.Event) -> None:
        await runner.run(service.pool, stop)

    # psb is never among them: its legacy system consumes onewindow.tasks.psb itself.
    topics = [*(tasks_topic(d) for d in sorted(departments)), LOOKUPS]
    return Service(
        "dept_adapter",
        settings,
        consumers=[
            Consumer(
                "filing",
                topics,
                by_event_type(inbox_handlers(departments)),
                streams_of=filing_streams,
            )
        ],
        publishes_to=[TASK_RESULTS, LOOKUP_RESULTS],
        routers=[routes(runner, settings.callback_secret.get_secret_value().encode())],
        background={"filing": file_with_departments},
    )

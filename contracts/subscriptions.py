"""Who reads each topic: the consumer group of every subscription of OneWindow's services
(`<service>.<consumer>`), and the groups of departments whose own systems read their task
topic (docs/legacy-integration.md). The services subscribe as written here. Every group
named must see every record: when a broker loses its data, a relay publishes again what one
of them may not have consumed (eventlog/published.py)."""

from __future__ import annotations

from contracts.departments import DEPARTMENTS
from contracts.topics import (
    APPLICATIONS,
    LOOKUP_RESULTS,
    LOOKUPS,
    NOTIFICATIONS,
    OUTCOMES,
    PROGRESS,
    SUPERVISION,
    TASK_RESULTS,
    tasks_topic,
)

# Departments whose systems consume their task topic themselves, and their consumer group.
DEPARTMENT_GROUPS: dict[str, str] = {"psb": "legacy-psb"}

READ_MODEL = (
    APPLICATIONS,
    *(tasks_topic(d) for d in DEPARTMENTS),
    PROGRESS,
    LOOKUP_RESULTS,
    OUTCOMES,
    NOTIFICATIONS,
    SUPERVISION,
)
PROCESS = (APPLICATIONS, TASK_RESULTS, LOOKUP_RESULTS)
# dept_adapter files sub-tasks with departments and looks records up in registers alike.
FILING = (*(tasks_topic(d) for d in DEPARTMENTS if d not in DEPARTMENT_GROUPS), LOOKUPS)
DELIVERY = (OUTCOMES,)
CLOCK_NOTICES = (SUPERVISION,)
APPLICANTS = (APPLICATIONS,)

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "intake.read-model": READ_MODEL,
    "router.process": PROCESS,
    "dept_adapter.filing": FILING,
    "notifier.delivery": DELIVERY,
    "notifier.supervision": CLOCK_NOTICES,
    "notifier.applications": APPLICANTS,
    **{group: (tasks_topic(d),) for d, group in DEPARTMENT_GROUPS.items()},
}

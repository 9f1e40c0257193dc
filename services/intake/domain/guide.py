"""The guide (办事指南) of a matter, as the API shows it, built from the catalog."""

from __future__ import annotations

from contracts.catalog import Matter
from contracts.departments import DEPARTMENTS
from services.intake.domain.views import (
    DepartmentGuide,
    MaterialGuide,
    MatterGuide,
    MatterSummary,
    SubtaskGuide,
)


def departments_of(matter: Matter) -> list[str]:
    return list(dict.fromkeys(s.department for s in matter.subtasks))


def summary_of(matter: Matter) -> MatterSummary:
    return MatterSummary(
        code=matter.code,
        name=matter.name,
        description=matter.description,
        promised_days=matter.promised_days,
        statutory_days=matter.statutory_days,
        max_visits=matter.max_visits,
        departments=departments_of(matter),
    )


def guide_of(matter: Matter) -> MatterGuide:
    tasks = [
        DepartmentGuide(
            department=department,
            name=DEPARTMENTS.get(department, department),
            subtasks=[
                SubtaskGuide(
                    code=s.code,
                    title=s.title,
                    requires=list(s.requires),
                    time_limit_days=s.time_limit_days,
                )
                for s in matter.subtasks
                if s.department == department
            ],
        )
        for department in departments_of(matter)
    ]
    return MatterGuide(
        **summary_of(matter).model_dump(),
        form_schema=dict(matter.form),
        materials=[
            MaterialGuide(code=m.code, name=m.name, source=m.source, key=m.key, spared=m.spared)
            for m in matter.materials
        ],
        materials_spared=[m.code for m in matter.materials_spared()],
        department_tasks=tasks,
    )

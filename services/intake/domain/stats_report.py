"""The statistics report: overall, per matter and per department; and as a text table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.statistics import Completed, Decided, Figures, figures


class MatterFigures(Figures):
    matter: str
    name: str


class DepartmentFigures(Figures):
    department: str
    name: str
    subtasks: int = Field(description="Completed sub-task filings the time figures are of.")


class StatsReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    date_from: date = Field(description="First local day (decided on or after).")
    date_to: date = Field(description="Last local day, inclusive.")
    zone: str = Field(
        description="The days are local dates in this zone.", examples=["Asia/Shanghai"]
    )
    matter: str | None = Field(description="Only this matter, if given.")
    overall: Figures
    matters: list[MatterFigures]
    departments: list[DepartmentFigures]


def stats_report(
    period: tuple[date, date],
    zone: str,
    matter: str | None,
    applications: Sequence[Decided],
    subtasks: Sequence[Completed],
    names: Mapping[str, str],
) -> StatsReport:
    """`names` maps matter and department codes to their names."""
    by_matter = sorted({a.matter for a in applications})
    by_department = sorted({d for a in applications for d in a.departments})
    matters = [
        MatterFigures(
            matter=code,
            name=names.get(code, code),
            **figures([a for a in applications if a.matter == code]).model_dump(),
        )
        for code in by_matter
    ]
    departments = []
    for code in by_department:
        done = [s for s in subtasks if s.department == code]
        involved = [a for a in applications if code in a.departments]
        departments.append(
            DepartmentFigures(
                department=code,
                name=names.get(code, code),
                subtasks=len(done),
                **figures(involved, done).model_dump(),
            )
        )
    return StatsReport(
        date_from=period[0], date_to=period[1], zone=zone, matter=matter,
        overall=figures(applications), matters=matters, departments=departments,
    )  # fmt: skip


_COLUMNS = (
    ("", 24), ("volume", 6), ("median d", 8), ("p90 d", 6), ("on time", 7), ("≤1 visit", 8),
    ("0 visits", 8), ("satisfied", 9), ("rated", 5), ("brought/needed", 14), ("spared", 6),
)  # fmt: skip


def as_text(report: StatsReport) -> str:
    """A readable table: one line overall, then per matter, then per department."""
    title = f"OneWindow statistics — decided {report.date_from} to {report.date_to} ({report.zone})"
    if report.matter:
        title += f", matter {report.matter}"
    lines = [title, _line([name for name, _ in _COLUMNS])]
    lines.append(_line(["overall", *_cells(report.overall)]))
    for m in report.matters:
        lines.append(_line([f"{m.matter}", *_cells(m)]))
    for d in report.departments:
        lines.append(_line([f"dept {d.department} ({d.subtasks})", *_cells(d)]))
    lines.append(
        "median/p90: working days to result, nearest rank; departments: per completed sub-task"
    )
    return "\n".join(lines)


def _line(cells: list[str]) -> str:
    first, *rest = zip(cells, _COLUMNS, strict=True)
    text = first[0][: first[1][1]].ljust(first[1][1])
    return text + "".join(" " + cell.rjust(width) for cell, (_, width) in rest)


def _cells(f: Figures) -> list[str]:
    return [
        str(f.volume), _days(f.median_working_days), _days(f.p90_working_days),
        _percent(f.on_time_rate), _percent(f.at_most_one_visit_rate),
        _percent(f.zero_visit_rate), _percent(f.satisfaction_rate), str(f.rated),
        f"{f.materials_brought}/{f.materials_needed}", _percent(f.materials_spared_rate),
    ]  # fmt: skip


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"

"""What `onewindow demo` shows: each application it follows, as a live table while it runs and
as its one result (certificates, timeline) at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from contracts.departments import department_name

FINAL = frozenset({"approved", "rejected", "withdrawn", "lapsed"})
OUTCOME_NOTICES = frozenset({"result", "rejection", "withdrawal", "lapse"})
GLYPH = {
    "waiting": "·", "dispatched": "→", "accepted": "⧗", "completed": "✓",
    "supplement_requested": "补", "rejected": "✗", "failed": "!", "cancelled": "⊘",
}  # fmt: skip


@dataclass
class Tracked:
    matter: str
    channel: str
    application_id: str = ""
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return str(self.state.get("status", "submitted"))

    @property
    def delivered(self) -> bool:
        return any(
            n["status"] == "delivered" and n["notice"] in OUTCOME_NOTICES
            for n in self.state.get("notices", [])
        )

    @property
    def finished(self) -> bool:
        return self.status in FINAL and self.delivered


def progress(tracked: list[Tracked]) -> Table:
    table = Table(title="OneWindow demo — one application per matter (live)", expand=True)
    table.add_column("matter", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("departments  → sent  ⧗ accepted  ✓ done", overflow="fold")
    for item in tracked:
        departments = " ".join(
            f"{s['department']}{GLYPH.get(s['status'], '?')}"
            for s in item.state.get("subtasks", [])
        )
        status = item.status + (" ✉" if item.delivered else "")
        table.add_row(item.state.get("matter_name", item.matter), status, departments)
    return table


def result(item: Tracked) -> Group:
    state, lines = item.state, []
    outcome = state.get("outcome") or {}
    delivered = [n for n in state.get("notices", []) if n["notice"] in OUTCOME_NOTICES]
    lines.append(
        Text(
            f"\n{state.get('matter_name', item.matter)}  {state.get('receipt_number')}  "
            f"{outcome.get('decision', state.get('status'))}, delivered by "
            + ", ".join(f"{n['channel']} to {n['recipient']}" for n in delivered),
            style="bold",
        )
    )
    for c in outcome.get("certificates", []):
        department = department_name(c["department"])
        lines.append(Text(f"  ✓ {c['title']}  {c['number']}  — {department}", overflow="ellipsis"))
    for entry in state.get("timeline", []):
        line = (
            f"    {entry['occurred_at'][11:23]}  {entry['producer']:<12} {entry['event_type']:<22}"
        )
        summary = entry.get("summary", "").split(" / ")[0]
        lines.append(Text(f"{line} {summary}", style="dim", no_wrap=True, overflow="ellipsis"))
    return Group(*lines)

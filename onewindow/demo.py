"""`onewindow demo`: one application of every matter, through the running system, watched live.

Each application goes in through intake's HTTP API as a front end would send it, with the
materials the applicant brings and a delivery channel (webhook, e-mail or SMS); the display
follows every department's sub-task from intake's read model; at the end each one result and
its timeline are printed, then today's statistics (GET /v1/stats with a clerk's key). It
succeeds only if every application was approved and its result reached the applicant's channel.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text
from uuid6 import uuid7

from contracts.calendar import load_calendar
from contracts.catalog import EXAMPLES_DIR, load_catalog
from contracts.departments import DEPARTMENTS
from onewindow.webhook import WebhookReceiver
from services.intake.adapters.api_keys import issue_api_key
from services.intake.domain.stats_report import StatsReport, as_text

FINAL = frozenset({"approved", "rejected", "withdrawn", "lapsed"})
OUTCOME_NOTICES = frozenset({"result", "rejection", "withdrawal", "lapse"})
PLAN: tuple[tuple[str, str], ...] = (
    ("business-startup", "webhook"),
    ("housing-transfer", "email"),
    ("equity-transfer", "sms"),
    ("business-info-change", "webhook"),
    ("newborn", "email"),
)
GLYPH = {
    "waiting": "·", "dispatched": "→", "accepted": "⧗", "completed": "✓",
    "supplement_requested": "补", "rejected": "✗", "failed": "!", "cancelled": "⊘",
}  # fmt: skip


@dataclass
class Applicant:
    """A front end talking to intake with its API key."""

    base_url: str
    key: str

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.key}"}, timeout=10
        )

    async def submit(self, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        async with self.client() as http:
            return await http.post(
                "/v1/applications", json=body, headers={"Idempotency-Key": key or str(uuid7())}
            )

    async def application(self, application_id: str) -> dict[str, Any]:
        async with self.client() as http:
            response = await http.get(f"/v1/applications/{application_id}")
            response.raise_for_status()
            found: dict[str, Any] = response.json()
            return found


def application_body(matter: str, delivery: dict[str, str]) -> dict[str, Any]:
    """The example application of `matter`, with every material the applicant brings."""
    example = json.loads((EXAMPLES_DIR / f"{matter}.json").read_text(encoding="utf-8"))
    brings = load_catalog().matter(matter).materials_the_applicant_brings()
    return {**example, "materials": [m.code for m in brings], "delivery": delivery}


async def issue_keys(database_url: str, clients: dict[str, str]) -> dict[str, str]:
    """A fresh API key per client id (kind by value); the keys are stored hashed."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "intake"})
    try:
        return {
            client_id: await issue_api_key(conn, f"{client_id}-{uuid7().hex[-6:]}", kind)
            for client_id, kind in clients.items()
        }
    finally:
        await conn.close()


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


async def run_demo(
    intake_url: str, legacy_url: str, database_url: str, webhook_secret: str, console: Console
) -> bool:
    keys = await issue_keys(database_url, {"demo-window": "window", "demo-clerk": "clerk"})
    window = Applicant(intake_url, keys["demo-window"])
    async with WebhookReceiver(webhook_secret).running() as webhook:
        tracked = [Tracked(matter, channel) for matter, channel in PLAN]
        for item in tracked:
            body = application_body(item.matter, _delivery(item, webhook))
            response = await window.submit(body)
            if response.status_code != 202:
                console.print(f"[red]{item.matter}: {response.status_code} {response.text}")
                return False
            item.application_id = response.json()["application_id"]
        await _follow(window, tracked, console)
        for item in tracked:
            console.print(_result(item))
        await _print_stats(Applicant(intake_url, keys["demo-clerk"]), console)
        return all(t.finished and t.status == "approved" for t in tracked)


async def _follow(window: Applicant, tracked: list[Tracked], console: Console) -> None:
    with Live(_progress(tracked), console=console, refresh_per_second=4) as live:
        async with asyncio.timeout(180):
            while not all(t.finished for t in tracked):
                for item in tracked:
                    item.state = await window.application(item.application_id)
                live.update(_progress(tracked))
                await asyncio.sleep(0.3)


async def _print_stats(clerk: Applicant, console: Console) -> None:
    """Today's statistics (local date of the calendar's zone), as a clerk sees them."""
    today = datetime.now(load_calendar().zone).date().isoformat()
    async with clerk.client() as http:
        response = await http.get("/v1/stats", params={"from": today, "to": today})
    if response.status_code != 200:
        console.print(f"[yellow]statistics: {response.status_code} {response.text}")
        return
    report = StatsReport.model_validate(response.json())
    console.print(Text("\n" + as_text(report), no_wrap=True, overflow="ellipsis"))


def _delivery(item: Tracked, webhook: WebhookReceiver) -> dict[str, str]:
    if item.channel == "webhook":
        return {"channel": "webhook", "address": webhook.url(f"results/{item.matter}")}
    if item.channel == "sms":
        return {"channel": "sms", "address": "13857101234"}
    return {"channel": "email", "address": f"{item.matter}@applicant.example.cn"}


def _progress(tracked: list[Tracked]) -> Table:
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


def _result(item: Tracked) -> Group:
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
        department = DEPARTMENTS.get(c["department"], c["department"]).split(" (")[0]
        lines.append(Text(f"  ✓ {c['title']}  {c['number']}  — {department}", overflow="ellipsis"))
    for entry in state.get("timeline", []):
        line = (
            f"    {entry['occurred_at'][11:23]}  {entry['producer']:<12} {entry['event_type']:<22}"
        )
        summary = entry.get("summary", "").split(" / ")[0]
        lines.append(Text(f"{line} {summary}", style="dim", no_wrap=True, overflow="ellipsis"))
    return Group(*lines)

"""`onewindow demo`: one application of every matter, through the running system, watched live.

Each application goes in through intake's HTTP API as a front end would send it, with the
materials the applicant brings and a delivery channel (webhook, e-mail or SMS); the display
follows every department's sub-task from intake's read model; at the end each one result and
its timeline are printed, then today's statistics (GET /v1/stats with a clerk's key).

The company change is filed for the company the business start-up just registered, once its
licence is issued: its licence then comes from the e-certificate library, not from the
applicant (the demo prints the access ledger that shows it). It succeeds only if every
application was approved, its result reached the applicant's channel, and the change took
the new licence from the library.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text

from contracts.calendar import load_calendar
from onewindow.applicant import Applicant, application_body, issue_keys
from onewindow.demo_view import Tracked, progress, result
from onewindow.webhook import WebhookReceiver
from services.intake.domain.stats_report import StatsReport, as_text

PLAN: tuple[tuple[str, str], ...] = (
    ("business-startup", "webhook"),
    ("housing-transfer", "email"),
    ("equity-transfer", "sms"),
    ("business-info-change", "webhook"),
    ("newborn", "email"),
)
# A matter filed only once another is approved: the company change, for the company started.
AFTER = {"business-info-change": "business-startup"}


async def run_demo(
    intake_url: str, database_url: str, webhook: WebhookReceiver, console: Console
) -> bool:
    """`webhook`: the applicant's receiver, on the port the stack's allow-list admits."""
    keys = await issue_keys(database_url, {"demo-window": "window", "demo-clerk": "clerk"})
    window = Applicant(intake_url, keys["demo-window"])
    try:
        return await _run(window, Applicant(intake_url, keys["demo-clerk"]), webhook, console)
    except DemoFailed as failed:
        console.print(f"[red]{failed}")
        return False


async def _run(
    window: Applicant, clerk: Applicant, webhook: WebhookReceiver, console: Console
) -> bool:
    async with webhook.running():
        tracked = [Tracked(matter, channel) for matter, channel in PLAN]
        by_matter = {t.matter: t for t in tracked}
        for item in tracked:
            if item.matter not in AFTER:
                await _file(window, item, application_body(item.matter, _delivery(item, webhook)))

        async def file_later(item: Tracked) -> None:
            started = by_matter[AFTER[item.matter]]
            if started.finished and started.status == "approved":
                await _file(window, item, _company_change(started, _delivery(item, webhook)))

        await _follow(window, tracked, console, file_later)
        for item in tracked:
            console.print(result(item))
        reused = await _print_reuse(window, by_matter["business-info-change"], console)
        await _print_stats(clerk, console)
        return reused and all(t.finished and t.status == "approved" for t in tracked)


async def _file(window: Applicant, item: Tracked, body: dict[str, Any]) -> None:
    response = await window.submit(body)
    if response.status_code != 202:
        raise DemoFailed(f"{item.matter}: {response.status_code} {response.text}")
    item.application_id = response.json()["application_id"]


class DemoFailed(Exception):
    pass


def _company_change(started: Tracked, delivery: dict[str, str]) -> dict[str, Any]:
    """The example company change, for the company `started` registered (its licence is in
    the e-certificate library now, so the applicant does not bring it)."""
    body = application_body("business-info-change", delivery)
    licence = started.state["outputs"]["amr-licence"]
    body["form"]["company"] = {
        "credit_code": licence["credit_code"],
        "name": licence["company_name"],
    }
    return body


async def _follow(
    window: Applicant,
    tracked: list[Tracked],
    console: Console,
    file_later: Callable[[Tracked], Awaitable[None]],
) -> None:
    with Live(progress(tracked), console=console, refresh_per_second=4) as live:
        async with asyncio.timeout(180):
            while not all(t.finished for t in tracked):
                for item in tracked:
                    if not item.application_id:
                        await file_later(item)
                    if item.application_id:
                        item.state = await window.application(item.application_id)
                live.update(progress(tracked))
                await asyncio.sleep(0.3)


async def _print_reuse(window: Applicant, change: Tracked, console: Console) -> bool:
    """The company change's access ledger: its licence came from the e-certificate library."""
    async with window.client() as http:
        response = await http.get(f"/v1/applications/{change.application_id}/data-access")
    entries = response.json()["entries"] if response.status_code == 200 else []
    console.print(
        Text("\n数据多跑路 — what the company change read instead of asking:", style="bold")
    )
    for entry in entries:
        records = ", ".join(entry["records"])
        console.print(
            f"  {entry['source']:<13} {entry['what']:<20} {records}  {entry['outcome'] or ''}"
        )
    return any(e["source"] == "e-certificate" and e["what"] == "business-licence" for e in entries)


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

"""`onewindow demo`: one application of every matter, through the running system, watched live.

Each application goes in through intake's HTTP API as a front end would send it, with the
materials the applicant brings and a delivery channel (webhook, e-mail or SMS); the display
follows every department's sub-task from intake's read model; at the end each one result and
its timeline are printed, then today's statistics (GET /v1/stats with a clerk's key). It
succeeds only if every application was approved and its result reached the applicant's channel.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

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


async def run_demo(
    intake_url: str, database_url: str, webhook: WebhookReceiver, console: Console
) -> bool:
    """`webhook`: the applicant's receiver, on the port the stack's allow-list admits."""
    keys = await issue_keys(database_url, {"demo-window": "window", "demo-clerk": "clerk"})
    window = Applicant(intake_url, keys["demo-window"])
    async with webhook.running():
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
            console.print(result(item))
        await _print_stats(Applicant(intake_url, keys["demo-clerk"]), console)
        return all(t.finished and t.status == "approved" for t in tracked)


async def _follow(window: Applicant, tracked: list[Tracked], console: Console) -> None:
    with Live(progress(tracked), console=console, refresh_per_second=4) as live:
        async with asyncio.timeout(180):
            while not all(t.finished for t in tracked):
                for item in tracked:
                    item.state = await window.application(item.application_id)
                live.update(progress(tracked))
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

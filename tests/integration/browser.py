"""A real browser for tests: Debian's Chromium driven by playwright-core (tests/browser/).

`ensure_browser()` installs what is missing, idempotently: the chromium package with apt-get
(we run as root), playwright-core with `npm ci` from tests/browser/package-lock.json into
tests/browser/node_modules. Nothing is downloaded when both are there. It raises, saying
what failed, when the browser cannot be set up: a test that needs it fails, never skips.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
BROWSER_DIR = Path(__file__).resolve().parent.parent / "browser"
CHROMIUM = Path(os.environ.get("ONEWINDOW_TEST_CHROMIUM", "/usr/bin/chromium"))


class BrowserUnavailable(RuntimeError):
    pass


def ensure_browser() -> dict[str, float]:
    """Seconds each missing part took to install (empty when all was there)."""
    took: dict[str, float] = {}
    if not CHROMIUM.exists():
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        took["chromium (apt-get)"] = _timed(["apt-get", "update"], env=env) + _timed(
            ["apt-get", "install", "-y", "chromium"], env=env
        )
        if not CHROMIUM.exists():
            raise BrowserUnavailable(f"apt-get installed chromium, but {CHROMIUM} is missing")
    if _playwright_version() != _pinned_version():
        took["playwright-core (npm ci)"] = _timed(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR
        )
        if _playwright_version() != _pinned_version():
            raise BrowserUnavailable("npm ci ran, but playwright-core is not the pinned version")
    return took


async def run_script(script: str, env: dict[str, str], timeout: float = 120) -> Any:
    """Run tests/browser/<script> with node; its stdout's last line is JSON."""
    process = await asyncio.create_subprocess_exec(
        "node",
        str(BROWSER_DIR / script),
        cwd=BROWSER_DIR,
        env=os.environ | {"CHROMIUM": str(CHROMIUM)} | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise AssertionError(f"{script} failed ({process.returncode}):\n{err.decode()[-4000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


def _pinned_version() -> str:
    manifest = json.loads((BROWSER_DIR / "package.json").read_text(encoding="utf-8"))
    return str(manifest["dependencies"]["playwright-core"])


def _playwright_version() -> str | None:
    installed = BROWSER_DIR / "node_modules" / "playwright-core" / "package.json"
    if not installed.exists():
        return None
    return str(json.loads(installed.read_text(encoding="utf-8"))["version"])


def _timed(command: list[str], **options: Any) -> float:
    log.warning("installing for the browser test: %s", " ".join(command))
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, **options)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrowserUnavailable(f"{' '.join(command)}: {exc}") from exc
    took = time.monotonic() - started
    log.warning(
        "%s: exit %s after %.1f s\n%s", command[0], done.returncode, took, done.stdout[-2000:]
    )
    if done.returncode != 0:
        raise BrowserUnavailable(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return took

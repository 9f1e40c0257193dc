"""router's settings: ONEWINDOW_* environment variables."""

from __future__ import annotations

from pydantic import Field

from runtime.settings import ServiceSettings


class RouterSettings(ServiceSettings):
    http_port: int = 8002
    clock_tick_seconds: float = Field(
        30.0, gt=0, description="How often the ticker looks for clock marks due (80 %, 100 %)."
    )

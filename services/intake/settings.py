"""intake's settings: ONEWINDOW_* environment variables."""

from __future__ import annotations

from pydantic import Field

from runtime.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    http_port: int = Field(8001, ge=0, le=65535)
    max_body_bytes: int = Field(
        262144, ge=1024, description="Largest request body accepted; larger ones get 413."
    )

"""intake's settings: ONEWINDOW_* environment variables."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator

from runtime.settings import WebhookTargetSettings

_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class IntakeSettings(WebhookTargetSettings):
    http_port: int = Field(8001, ge=0, le=65535)
    max_body_bytes: int = Field(
        262144, ge=1024, description="Largest request body accepted; larger ones get 413."
    )
    ops_password: SecretStr = Field(
        SecretStr(""),
        description="HTTP Basic password of user 'ops' for /ops; empty: the console is off.",
    )
    adapter_url: str = Field(
        "http://127.0.0.1:8003", description="dept_adapter's base URL: /ops shows its health."
    )
    adapter_timeout_seconds: float = Field(
        2.0, gt=0, le=30, description="How long /ops waits for dept_adapter's answer."
    )
    log_schemas: tuple[str, ...] = Field(
        ("intake", "router", "dept_adapter", "notifier"),
        min_length=1,
        description="Schemas (same database) whose event logs /ops shows in a timeline.",
    )

    @field_validator("log_schemas")
    @classmethod
    def _schema_names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        bad = [n for n in names if not _SCHEMA.fullmatch(n)]
        if bad:
            raise ValueError(f"not a schema name (a-z, 0-9, _): {', '.join(map(repr, bad))}")
        return names

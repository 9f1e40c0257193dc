"""Notifier settings: ONEWINDOW_<FIELD> environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from runtime.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    http_port: int = Field(8004, ge=0, le=65535)
    webhook_secret: SecretStr = Field(
        SecretStr("onewindow-dev-webhook-secret"),
        description="Key of the HMAC-SHA256 signature on every webhook body.",
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(8025, ge=1, le=65535)
    smtp_from: str = "一网通办 <noreply@onewindow.example.cn>"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    sms_gateway_url: str = "http://127.0.0.1:8090/sms/messages"
    sms_api_key: SecretStr = SecretStr("onewindow-sms-demo-key")  # legacy_sim's stand-in
    delivery_max_attempts: int = Field(6, ge=1)
    delivery_backoff_seconds: float = Field(0.5, ge=0, description="First retry's wait cap.")
    delivery_backoff_max_seconds: float = Field(30.0, ge=0)
    delivery_timeout_seconds: float = Field(10.0, gt=0, description="Per send attempt.")
    delivery_rescan_seconds: float = Field(
        30.0, gt=0, description="How often pending notices are looked for without a wake-up."
    )

    @field_validator("webhook_secret", "sms_api_key")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

"""Notifier settings: ONEWINDOW_<FIELD> environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator

from runtime.settings import WebhookTargetSettings
from services.notifier.domain.contacts import Recipient
from services.notifier.domain.recipients import address_problem

HERE = Path(__file__).parent


class NotifierSettings(WebhookTargetSettings):
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

    supervision_email: str | None = Field(
        "dzjc@supervision.example.cn",
        description="电子监察 mailbox for time-limit warnings and overdues (dev: SMTP stand-in).",
    )
    supervision_webhook_url: str | None = Field(
        None, description="电子监察 webhook for the same notices; set either or both."
    )
    department_contacts_file: Path = Field(
        HERE / "department-contacts.yaml",
        description="Department code → e-mail or webhook URL of its contact for supervision.",
    )

    @field_validator("supervision_email", "supervision_webhook_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("supervision_email")
    @classmethod
    def _an_email(cls, value: str | None) -> str | None:
        if value is not None and (problem := address_problem("email", value.strip())):
            raise ValueError(problem)
        return value.strip() if value else None

    @field_validator("supervision_webhook_url")
    @classmethod
    def _a_webhook(cls, value: str | None) -> str | None:
        if value is not None and (problem := address_problem("webhook", value.strip())):
            raise ValueError(problem)
        return value.strip() if value else None

    @model_validator(mode="after")
    def _supervised(self) -> NotifierSettings:
        if not (self.supervision_email or self.supervision_webhook_url):
            raise ValueError(
                "no supervision channel (电子监察): set ONEWINDOW_SUPERVISION_EMAIL and/or "
                "ONEWINDOW_SUPERVISION_WEBHOOK_URL"
            )
        return self

    def supervision(self) -> tuple[Recipient, ...]:
        email = self.supervision_email
        url = self.supervision_webhook_url
        return (
            *([Recipient("supervision-email", "email", email)] if email else []),
            *([Recipient("supervision-webhook", "webhook", url)] if url else []),
        )

    @field_validator("webhook_secret", "sms_api_key")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

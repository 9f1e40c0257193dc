"""Webhook delivery: POST the signed JSON notice to the applicant's URL, or to an
operator's (supervision, a department's contact)."""

from __future__ import annotations

from pydantic import SecretStr

from services.notifier.adapters.http import Poster, post
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.recipients import for_operators
from services.notifier.domain.webhook import webhook_body, webhook_headers


class WebhookSender:
    """`applicants` is the client held to the webhook policy (adapters/webhook_targets.py);
    `operators` reaches the receivers operators configured themselves."""

    def __init__(
        self, applicants: Poster, operators: Poster, secret: SecretStr, timeout: float
    ) -> None:
        self.applicants, self.operators, self.timeout = applicants, operators, timeout
        self._secret = secret.get_secret_value().encode()

    async def send(self, prepared: NoticePrepared, delivery_id: str) -> str:
        body = webhook_body(prepared, delivery_id)
        headers = webhook_headers(self._secret, body, prepared, delivery_id)
        http = self.operators if for_operators(prepared) else self.applicants
        response = await post(http, "webhook", prepared.address, body, headers, self.timeout)
        return f"HTTP {response.status_code}"

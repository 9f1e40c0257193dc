"""Webhook delivery: POST the signed JSON notice to the applicant's URL."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from services.notifier.adapters.http import post
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.webhook import webhook_body, webhook_headers


class WebhookSender:
    def __init__(self, http: httpx.AsyncClient, secret: SecretStr) -> None:
        self.http, self._secret = http, secret.get_secret_value().encode()

    async def send(self, prepared: NoticePrepared, delivery_id: str) -> str:
        body = webhook_body(prepared, delivery_id)
        headers = webhook_headers(self._secret, body, prepared, delivery_id)
        response = await post(self.http, "webhook", prepared.address, body, headers)
        return f"HTTP {response.status_code}"

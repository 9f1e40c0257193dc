"""SMS through the operator's HTTP gateway: POST {mobile, content, signature}, X-Api-Key."""

from __future__ import annotations

import json

from pydantic import SecretStr

from runtime.http_client import Response
from services.notifier.adapters.http import Poster, post
from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.recipients import national_mobile
from services.notifier.domain.templates import SIGNATURE
from services.notifier.domain.webhook import DELIVERY_HEADER


class SmsGatewaySender:
    def __init__(self, http: Poster, url: str, api_key: SecretStr, timeout: float) -> None:
        self.http, self.url, self._api_key = http, url, api_key.get_secret_value()
        self.timeout = timeout

    async def send(self, prepared: NoticePrepared, delivery_id: str) -> str | None:
        message = {
            "mobile": national_mobile(prepared.address),
            "content": prepared.text,
            "signature": SIGNATURE,
        }
        body = json.dumps(message, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Api-Key": self._api_key,
            DELIVERY_HEADER: delivery_id,
        }
        response = await post(self.http, "SMS gateway", self.url, body, headers, self.timeout)
        return _message_id(response)


def _message_id(response: Response) -> str | None:
    """The gateway's message id; a 2xx without one still means the text was taken."""
    try:
        answer = json.loads(response.content)
    except ValueError:
        return None
    value = answer.get("message_id") if isinstance(answer, dict) else None
    return str(value) if value else None

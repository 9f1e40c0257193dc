"""The data-sharing platform's HTTP endpoint for one register: one batch lookup per call.
Transport errors and time-outs are Retryable answers, like a legacy system's."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

from contracts.events import DatasetLookup
from runtime.http_client import HttpClient
from services.dept_adapter.adapters.legacy import exchange
from services.dept_adapter.domain.sharing import LookupAnswer, read_answer, request_body
from services.dept_adapter.settings import RegisterConfig


class Register:
    def __init__(
        self,
        http: HttpClient,
        dataset: str,
        config: RegisterConfig,
        platform_url: str,
        token: str,
    ) -> None:
        self.http, self.dataset, self.config = http, dataset, config
        base = (config.base_url or platform_url).rstrip("/")
        self.url = f"{base}/datasets/{quote(dataset, safe='')}/lookups"
        self.headers = {"Authorization": f"Bearer {token}"}

    async def look_up(
        self, lookup: DatasetLookup, matter: str, application_id: UUID, idempotency_key: str
    ) -> LookupAnswer:
        body = request_body(lookup, matter, application_id)
        return await exchange(
            lambda: self.http.post(
                self.url,
                json=body,
                headers={**self.headers, "Idempotency-Key": idempotency_key},
                timeout=self.config.timeout_seconds,
            ),
            lambda status, content, retry_after: read_answer(lookup, status, content, retry_after),
        )

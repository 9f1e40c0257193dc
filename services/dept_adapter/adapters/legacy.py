"""One plug-in per legacy protocol style; each turns a filing, a poll or a cancel into an
Answer (docs/legacy-protocols.md). Transport errors and time-outs are Retryable answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar
from urllib.parse import quote

from runtime.http_client import HttpClient, Response, TimedOut, Unreachable, Unsendable
from services.dept_adapter.domain import answers, soap
from services.dept_adapter.domain.events import FilingRequested
from services.dept_adapter.domain.filing import Filing
from services.dept_adapter.domain.outcomes import Answer, Retryable, Terminal
from services.dept_adapter.settings import DepartmentConfig

A = TypeVar("A")


class LegacySystem(Protocol):
    async def submit(self, filing: Filing) -> Answer: ...
    async def poll(self, receipt: str) -> Answer: ...
    async def cancel(self, receipt: str) -> Answer: ...


async def exchange(
    call: Callable[[], Awaitable[Response]],
    read: Callable[[int, bytes, str | None], A],
) -> A | Retryable | Terminal:
    """`read`'s answer to the response, or what a transport error or time-out means."""
    try:
        response = await call()
    except Unsendable as e:
        return Terminal(f"request cannot be sent: {e}")
    except TimedOut as e:
        return Retryable(f"time-out: {e}")
    except Unreachable as e:
        return Retryable(f"connection error: {e}")
    return read(response.status_code, response.content, response.headers.get("Retry-After"))


def _body(request: FilingRequested, application_id: str) -> dict[str, object]:
    return {
        "application_id": application_id,
        "subtask": request.subtask,
        "inputs": request.inputs,
        "materials": list(request.materials),
    }


class JsonFilings:
    """REST (decided at once), submit-then-poll and callback styles share this shape."""

    def __init__(
        self,
        http: HttpClient,
        config: DepartmentConfig,
        base_url: str,
        callback_url: Callable[[str], str] | None = None,
    ) -> None:
        self.http, self.config = http, config
        self.url = base_url.rstrip("/") + config.path.rstrip("/")
        self.callback_url = callback_url
        self.collection = "applications" if config.protocol == "poll" else "filings"

    async def submit(self, filing: Filing) -> Answer:
        body = _body(filing.request, str(filing.requested.application_id))
        if self.callback_url is not None:
            body["callback_url"] = self.callback_url(filing.key)
        read = answers.submitted if self.config.protocol == "rest" else answers.accepted
        return await exchange(
            lambda: self.http.post(
                f"{self.url}/{self.collection}",
                json=body,
                # The legacy systems trim the key; UTF-8 so any key can be sent.
                headers={"Idempotency-Key": filing.key.strip()},
                timeout=self.config.timeout_seconds,
            ),
            read,
        )

    async def poll(self, receipt: str) -> Answer:
        if self.config.protocol != "poll":
            return Terminal(f"{self.config.protocol} style has no polling")
        return await exchange(
            lambda: self.http.get(
                f"{self.url}/{self.collection}/{quote(receipt, safe='')}",
                timeout=self.config.timeout_seconds,
            ),
            answers.polled,
        )

    async def cancel(self, receipt: str) -> Answer:
        return await exchange(
            lambda: self.http.post(
                f"{self.url}/{self.collection}/{quote(receipt, safe='')}/cancel",
                timeout=self.config.timeout_seconds,
            ),
            answers.cancelled,
        )


class SoapFilings:
    def __init__(self, http: HttpClient, config: DepartmentConfig, base_url: str) -> None:
        self.http, self.config = http, config
        self.url = base_url.rstrip("/") + config.path

    async def _call(self, action: str, envelope: bytes) -> Answer:
        headers = {"Content-Type": soap.CONTENT_TYPE, "SOAPAction": action}
        return await exchange(
            lambda: self.http.post(
                self.url, content=envelope, headers=headers, timeout=self.config.timeout_seconds
            ),
            lambda status, body, _: soap.answer(status, body),
        )

    async def submit(self, filing: Filing) -> Answer:
        r = filing.request
        envelope = soap.submit_request(
            r.filing_key, str(filing.requested.application_id), r.subtask, r.inputs, r.materials
        )
        return await self._call(soap.SUBMIT_ACTION, envelope)

    async def poll(self, receipt: str) -> Answer:
        return Terminal("soap style has no polling")

    async def cancel(self, receipt: str) -> Answer:
        return await self._call(soap.CANCEL_ACTION, soap.cancel_request(receipt))


def legacy_system(
    http: HttpClient,
    config: DepartmentConfig,
    base_url: str,
    adapter_public_url: str,
    department: str,
) -> LegacySystem:
    base = config.base_url or base_url
    if config.protocol == "soap":
        return SoapFilings(http, config, base)
    if config.protocol == "callback":
        root = adapter_public_url.rstrip("/")
        return JsonFilings(
            http,
            config,
            base,
            lambda key: f"{root}/callbacks/{department}?filing_key={quote(key, safe='')}",
        )
    return JsonFilings(http, config, base)

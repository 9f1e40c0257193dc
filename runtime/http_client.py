"""The HTTP client of calls to other systems (legacy systems, registers): aiohttp's pooled
keep-alive connections and C parser — a call costs a quarter of the CPU httpx's does — with a
client span per request (the traceparent sent along) and every failure one of three kinds
the callers turn into their outcomes.

An answer is read whole, up to `max_body` bytes (decompressed): what another system sends
must not exhaust this process's memory.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDictProxy
from opentelemetry.trace import SpanKind, StatusCode

from eventlog.spans import recorded
from runtime.logs import mask
from runtime.tracing import inject_trace_context, tracer

MAX_BODY = 8 * 1024 * 1024


class Unsendable(Exception):
    """The request cannot be sent as it is (a bad URL or header): trying again is futile."""


class TimedOut(Exception):
    """No whole answer within the time-out; the other end may have acted on the request."""


class Unreachable(Exception):
    """No connection, or the connection failed or broke the protocol before a whole answer."""


@dataclass(frozen=True)
class Response:
    status_code: int
    content: bytes
    headers: CIMultiDictProxy[str]


class HttpClient:
    """Its connections are opened in the event loop of the first request. With a `resolver`,
    every connection to a name goes to an address it gave, looked up anew (no cache), and
    what it raises reaches the caller as it is."""

    def __init__(
        self,
        *,
        max_connections: int = 100,
        max_body: int = MAX_BODY,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self.max_connections, self.max_body = max_connections, max_body
        self.resolver = resolver
        self._session: aiohttp.ClientSession | None = None

    async def post(
        self,
        url: str,
        *,
        content: bytes | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float,
    ) -> Response:
        if json is not None:
            content = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        return await self.request("POST", url, content=content, headers=headers, timeout=timeout)

    async def get(
        self, url: str, *, headers: Mapping[str, str] | None = None, timeout: float
    ) -> Response:
        return await self.request("GET", url, headers=headers, timeout=timeout)

    async def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float,
    ) -> Response:
        sent = dict(headers or {})
        if not recorded():
            inject_trace_context(sent)
            return await self._exchange(method, url, content, sent, timeout)
        target = urlsplit(url)
        attributes: dict[str, str | int] = {
            "http.request.method": method,
            "url.full": mask(url),
            "server.address": target.hostname or "",
            "server.port": target.port or (443 if target.scheme == "https" else 80),
        }
        with tracer().start_as_current_span(
            method, kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            inject_trace_context(sent)
            try:
                response = await self._exchange(method, url, content, sent, timeout)
            except Exception as exc:
                span.set_attribute("error.type", type(exc).__name__)
                raise
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 400:
                span.set_status(StatusCode.ERROR)
            return response

    async def _exchange(
        self, method: str, url: str, content: bytes | None, headers: dict[str, str], timeout: float
    ) -> Response:
        try:
            async with asyncio.timeout(timeout):
                async with self._open().request(
                    method, url, data=content, headers=headers, allow_redirects=False
                ) as answer:
                    return Response(answer.status, await self._read(answer), answer.headers)
        except TimeoutError:
            raise TimedOut(f"no whole answer within {timeout:g} s") from None
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError, ValueError) as exc:
            raise Unsendable(f"{type(exc).__name__}: {mask(str(exc))}") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise Unreachable(f"{type(exc).__name__}: {mask(str(exc))}") from None

    async def _read(self, answer: aiohttp.ClientResponse) -> bytes:
        declared = answer.content_length
        if declared is not None and declared > self.max_body:
            raise Unreachable(f"an answer of {declared} bytes; at most {self.max_body} are read")
        body = bytearray()
        async for chunk in answer.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > self.max_body:
                raise Unreachable(f"an answer over {self.max_body} bytes")
        return bytes(body)

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self.max_connections,
                    resolver=self.resolver,
                    use_dns_cache=self.resolver is None,
                ),
                auto_decompress=True,
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

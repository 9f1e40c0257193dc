"""The HTTP client for applicants' webhooks: every request's URL passes the webhook policy,
and every connection goes to an address that was resolved and checked just before.

httpx resolves a host name when it connects, so a check of the name beforehand could be
answered differently at connect time (DNS rebinding). Here the connection pool's network
backend resolves the name itself, refuses the connection unless every address is public
(or admitted by the allow-list), and connects to the address it checked. TLS still
verifies the certificate for, and sends SNI and Host with, the URL's host name: httpcore
starts TLS on the returned stream with the origin's host."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Sequence
from ipaddress import ip_address
from typing import Protocol

import anyio
import httpcore
import httpx

from contracts.webhook_targets import AllowList, IPAddress, connect_refusal, target_refusal
from services.notifier import metrics

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class TargetRefused(Exception):
    """The webhook policy refused the receiver; nothing was sent, and trying again is futile."""


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> Sequence[IPAddress]:
        """Every address `host` has; OSError when it has none."""


class SystemResolver:
    """The operating system's resolver (getaddrinfo), as httpx would use it."""

    async def resolve(self, host: str, port: int) -> Sequence[IPAddress]:
        found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(ip_address(sockaddr[0]) for *_, sockaddr in found))


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """connect_tcp: resolve, check every address, connect to a checked one."""

    def __init__(
        self,
        allow: AllowList,
        resolver: Resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow, self.resolver = allow, resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        deadline = None if timeout is None else time.monotonic() + timeout
        addresses = await self._resolve(host, port, timeout)
        refusal = connect_refusal(host, port, addresses, self.allow)
        if refusal is not None:
            metrics.WEBHOOK_TARGETS_REFUSED.labels("connect").inc()
            raise TargetRefused(refusal)
        failed: httpcore.ConnectError | None = None
        for address in addresses:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout=left, local_address=local_address,
                    socket_options=socket_options,
                )  # fmt: skip
            except httpcore.ConnectError as exc:
                failed = exc
        assert failed is not None  # connect_refusal refuses an empty list
        raise failed

    async def _resolve(self, host: str, port: int, timeout: float | None) -> Sequence[IPAddress]:
        try:
            with anyio.fail_after(timeout):
                return await self.resolver.resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"{host} not resolved: {exc}") from None

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("a webhook is never a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the policy on each request's URL and a CheckedBackend under
    its connection pool. httpx has no parameter for the backend, so the pool is replaced by
    one built the same way; tests/integration/test_notifier_webhook_targets.py proves that
    connections go through the backend."""

    def __init__(self, allow: AllowList, resolver: Resolver) -> None:
        super().__init__(trust_env=False)
        self.allow = allow
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=CheckedBackend(allow, resolver),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        refused = target_refusal(str(request.url), self.allow)
        if refused is not None:
            metrics.WEBHOOK_TARGETS_REFUSED.labels("url").inc()
            raise TargetRefused(f"{refused.rule}: {refused}")
        return await super().handle_async_request(request)


def checked_client(allow: AllowList, resolver: Resolver, timeout: float) -> httpx.AsyncClient:
    """For applicants' webhooks: no redirects followed, no proxy from the environment."""
    return httpx.AsyncClient(
        transport=CheckedTransport(allow, resolver),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )

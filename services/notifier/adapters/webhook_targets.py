"""The HTTP client for applicants' webhooks: every request's URL passes the webhook policy,
and every connection goes to an address that was resolved and checked just before.

A check of the name before the request could be answered differently when the client
resolves it again to connect (DNS rebinding). Here the client's connector resolves names
only through a `CheckedResolver`, which refuses unless every address is public (or admitted
by the allow-list) and hands the connector the addresses it checked, with no cache between.
An address written in the URL is not resolved: the URL's check has seen it. TLS still
verifies the certificate for, and sends SNI and Host with, the URL's host name."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from ipaddress import ip_address
from typing import Protocol

from aiohttp.abc import AbstractResolver, ResolveResult

from contracts.webhook_targets import AllowList, IPAddress, connect_refusal, target_refusal
from runtime.http_client import HttpClient, Response
from services.notifier import metrics

# A receiver's answer is not read for anything but its status.
MAX_ANSWER = 64 * 1024


class TargetRefused(Exception):
    """The webhook policy refused the receiver; nothing was sent, and trying again is futile."""


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> Sequence[IPAddress]:
        """Every address `host` has; OSError when it has none."""


class SystemResolver:
    """The operating system's resolver (getaddrinfo)."""

    async def resolve(self, host: str, port: int) -> Sequence[IPAddress]:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(ip_address(sockaddr[0]) for *_, sockaddr in found))


class CheckedResolver(AbstractResolver):
    """Resolves with `resolver`, refuses (TargetRefused) unless the policy admits every
    address, and returns the addresses checked for the connector to connect to."""

    def __init__(self, allow: AllowList, resolver: Resolver) -> None:
        self.allow, self.resolver = allow, resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[ResolveResult]:
        addresses = await self.resolver.resolve(host, port)
        refusal = connect_refusal(host, port, addresses, self.allow)
        if refusal is not None:
            metrics.WEBHOOK_TARGETS_REFUSED.labels("connect").inc()
            raise TargetRefused(refusal)
        return [_result(host, address, port) for address in addresses]

    async def close(self) -> None:
        pass


def _result(host: str, address: IPAddress, port: int) -> ResolveResult:
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    return ResolveResult(
        hostname=host, host=str(address), port=port, family=family, proto=0,
        flags=socket.AI_NUMERICHOST,
    )  # fmt: skip


class CheckedClient:
    """For applicants' webhooks: the policy on each URL, a CheckedResolver under every
    connection, no redirects followed, no proxy from the environment."""

    def __init__(self, allow: AllowList, resolver: Resolver) -> None:
        self.allow = allow
        self.http = HttpClient(resolver=CheckedResolver(allow, resolver), max_body=MAX_ANSWER)

    async def post(
        self, url: str, *, content: bytes, headers: dict[str, str], timeout: float
    ) -> Response:
        refused = target_refusal(url, self.allow)
        if refused is not None:
            metrics.WEBHOOK_TARGETS_REFUSED.labels("url").inc()
            raise TargetRefused(f"{refused.rule}: {refused}")
        return await self.http.post(url, content=content, headers=headers, timeout=timeout)

    async def aclose(self) -> None:
        await self.http.aclose()

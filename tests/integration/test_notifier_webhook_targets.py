"""The notifier holds applicants' webhooks to the policy when it connects: a name is
resolved, every address checked, and the connection made to the address checked (so a
name that resolves differently at connect time, DNS rebinding, cannot reach the inside).
Real receivers on local sockets, the real PostgreSQL; names resolve through a resolver
the test gives (a port of the adapter), or through the system's for `localhost`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from ipaddress import ip_address
from urllib.parse import urlsplit

import asyncpg
import pytest
from uuid6 import uuid7

from contracts.webhook_targets import AllowList, IPAddress
from runtime.http_client import HttpClient, Unreachable
from runtime.metrics import REGISTRY
from services.notifier.adapters.webhook_targets import (
    CheckedClient,
    CheckedResolver,
    SystemResolver,
    TargetRefused,
)
from tests.integration.notifier_support import (
    Receivers,
    decided,
    delivering,
    handle,
    notices,
    receivers,
    recorded,
    settings,
)

__all__ = ["notices", "receivers"]  # fixtures


class ScriptedResolver:
    """Names as the test says they resolve; every lookup is kept."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names, self.looked_up = names, list[str]()

    async def resolve(self, host: str, port: int) -> Sequence[IPAddress]:
        self.looked_up.append(host)
        if host not in self.names:
            raise OSError(f"{host}: name not known")
        return [ip_address(a) for a in self.names[host]]


def refused_at(stage: str) -> float:
    name = "onewindow_notifier_webhook_targets_refused_total"
    return REGISTRY.get_sample_value(name, {"stage": stage}) or 0.0


async def test_a_name_resolving_to_loopback_when_connecting_is_refused_and_nothing_is_sent(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    hub, url = receivers
    port = urlsplit(url).port
    resolver = ScriptedResolver({"rebind.example.cn": ["127.0.0.1"]})
    app, before = uuid7(), refused_at("connect")
    address = f"http://rebind.example.cn:{port}/hook/rebind"
    async with delivering(notices, settings(url, allow=""), resolver):
        await handle(notices, decided(app, address=address))
        _, end = await recorded(notices, f"notice-{app}-outcome")

    assert end.event_type == "NoticeDeliveryFailed"
    assert end.payload["attempts"] == 1  # refused for good, not retried
    assert "target refused" in end.payload["error"] and "127.0.0.1" in end.payload["error"]
    assert hub.hooks == []  # the receiver listening there got nothing
    assert resolver.looked_up == ["rebind.example.cn"]
    assert refused_at("connect") == before + 1


async def test_every_address_of_a_name_is_checked(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    hub, url = receivers
    port = urlsplit(url).port
    resolver = ScriptedResolver({"mixed.example.cn": ["203.0.114.7", "127.0.0.1"]})
    app = uuid7()
    address = f"http://mixed.example.cn:{port}/hook/mixed"
    async with delivering(notices, settings(url, allow=""), resolver):
        await handle(notices, decided(app, address=address))
        _, end = await recorded(notices, f"notice-{app}-outcome")

    assert end.event_type == "NoticeDeliveryFailed" and "127.0.0.1" in end.payload["error"]
    assert hub.hooks == []


async def test_the_connection_goes_to_the_address_checked_and_the_host_stays_the_name(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    """hooks.example.cn is not in any DNS this test can reach: that the notice arrives shows
    the connection went to the address the check saw, not to a second lookup."""
    hub, url = receivers
    port = urlsplit(url).port
    resolver = ScriptedResolver({"hooks.example.cn": ["127.0.0.1"]})
    app = uuid7()
    address = f"http://hooks.example.cn:{port}/hook/pinned"
    async with delivering(notices, settings(url), resolver):  # admits 127.0.0.1:<port>
        await handle(notices, decided(app, address=address))
        _, end = await recorded(notices, f"notice-{app}-outcome")

    assert end.event_type == "NoticeDelivered", end.payload
    [(_, headers)] = hub.calls("pinned")
    assert headers["host"] == f"hooks.example.cn:{port}"
    assert resolver.looked_up == ["hooks.example.cn"]


async def test_a_redirect_is_not_followed_and_ends_the_delivery(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    hub, url = receivers
    hub.script["moving"] = [302]
    app = uuid7()
    async with delivering(notices, settings(url)):
        await handle(notices, decided(app, address=f"{url}/hook/moving"))
        _, end = await recorded(notices, f"notice-{app}-outcome")

    assert end.event_type == "NoticeDeliveryFailed"
    assert (end.payload["attempts"], end.payload["error"]) == (1, "webhook answered HTTP 302")
    assert len(hub.calls("moving")) == 1 and hub.calls("moving-moved") == []


async def test_a_notice_prepared_for_an_address_now_refused_is_not_sent(
    notices: asyncpg.Pool, receivers: tuple[Receivers, str]
) -> None:
    """Notices prepared before the policy (or before the allow-list shrank) are held to it."""
    hub, url = receivers
    app, before = uuid7(), refused_at("url")
    async with delivering(notices, settings(url, allow="")):
        await handle(notices, decided(app, address=f"{url}/hook/old"))
        _, end = await recorded(notices, f"notice-{app}-outcome")

    assert end.event_type == "NoticeDeliveryFailed" and end.payload["attempts"] == 1
    assert "webhook-address" in end.payload["error"]
    assert hub.hooks == [] and refused_at("url") == before + 1


async def test_the_systems_resolver_sends_localhost_and_numeric_names_nowhere(
    receivers: tuple[Receivers, str],
) -> None:
    hub, url = receivers
    port = urlsplit(url).port
    assert port is not None
    resolver = CheckedResolver(AllowList(), SystemResolver())
    for host in ("localhost", "127.0.0.1", "2130706433", "0x7f000001", "127.1"):
        with pytest.raises(TargetRefused):
            await resolver.resolve(host, port)
    client = CheckedClient(AllowList(), SystemResolver())
    for name in ("localhost", "LOCALHOST.", "2130706433", "[::ffff:127.0.0.1]", "127.0.0.1"):
        with pytest.raises(TargetRefused):
            await client.post(f"http://{name}:{port}/hook/local", content=b"{}", headers={},
                              timeout=5)  # fmt: skip
    await client.aclose()
    assert hub.hooks == []

    admitted = AllowList.parse(f"127.0.0.1:{port}, [::1]:{port}")
    found = await CheckedResolver(admitted, SystemResolver()).resolve("localhost", port)
    assert "127.0.0.1" in {a["host"] for a in found} and {a["hostname"] for a in found} == {
        "localhost"
    }


async def test_a_name_is_resolved_for_every_connection_not_kept(
    receivers: tuple[Receivers, str],
) -> None:
    """A later connection to a name asks the resolver again: a name that turns to an inside
    address after a first, public answer is refused then."""
    hub, url = receivers
    port = urlsplit(url).port
    resolver = ScriptedResolver({"turns.example.cn": ["127.0.0.1"]})
    checked = CheckedResolver(AllowList.parse(f"127.0.0.1:{port}"), resolver)
    http = HttpClient(resolver=checked)
    try:
        first = await http.post(f"http://turns.example.cn:{port}/hook/turns", content=b"{}",
                                headers={"Connection": "close"}, timeout=5)  # fmt: skip
        assert first.status_code == 200
        checked.allow = AllowList()
        with pytest.raises(TargetRefused):
            await http.post(f"http://turns.example.cn:{port}/hook/turns", content=b"{}",
                            headers={}, timeout=5)  # fmt: skip
    finally:
        await http.aclose()
    assert resolver.looked_up == ["turns.example.cn", "turns.example.cn"]
    assert len(hub.calls("turns")) == 1


async def test_tls_names_the_host_while_connecting_to_the_checked_address() -> None:
    """The TLS ClientHello's server name (SNI), read off a plain socket on 127.0.0.1."""
    names: list[str] = []

    async def hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        header = await reader.readexactly(5)
        names.append(server_name(await reader.readexactly(int.from_bytes(header[3:5]))))
        writer.close()

    server = await asyncio.start_server(hello, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    resolver = ScriptedResolver({"hooks.example.cn": ["127.0.0.1"]})
    http = CheckedClient(AllowList.parse(f"127.0.0.1:{port}"), resolver)
    async with server:
        with pytest.raises(Unreachable):  # the socket hangs up after the hello
            await http.post(f"https://hooks.example.cn:{port}/hook", content=b"{}", headers={},
                            timeout=5)  # fmt: skip
    await http.aclose()
    assert names == ["hooks.example.cn"]


def server_name(handshake: bytes) -> str:
    """The host_name of the server_name extension of a TLS ClientHello handshake message."""
    at = 4 + 2 + 32  # handshake header, client version, random
    at += 1 + handshake[at]  # session id
    at += 2 + int.from_bytes(handshake[at : at + 2])  # cipher suites
    at += 1 + handshake[at]  # compression methods
    end = at + 2 + int.from_bytes(handshake[at : at + 2])
    at += 2
    while at < end:
        kind, size = (
            int.from_bytes(handshake[at : at + 2]),
            int.from_bytes(handshake[at + 2 : at + 4]),
        )
        if kind == 0:  # server_name: list length, name type, name length, name
            return handshake[at + 9 : at + 9 + int.from_bytes(handshake[at + 7 : at + 9])].decode()
        at += 4 + size
    return ""

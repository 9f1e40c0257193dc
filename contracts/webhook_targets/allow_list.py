"""The operators' allow-list of internal webhook receivers (ONEWINDOW_WEBHOOK_ALLOW).

Entries, separated by commas or blanks: a network `10.20.0.0/16`, an address `127.0.0.1`
or `[::1]`, or a host name `hooks.corp.example.cn`, each optionally with `:port` (without a
port every port is allowed). A network or an address admits a URL naming an address in it
and, at connect time, any name resolving into it; a host name admits that name whatever it
resolves to, since the operator vouches for the name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network

from contracts.webhook_targets.addresses import IPAddress
from contracts.webhook_targets.hosts import Refused, read_host


@dataclass(frozen=True)
class Allowed:
    """One entry: a network (an address is a /32 or /128) or a host name; one port or any."""

    text: str
    network: IPv4Network | IPv6Network | None = None
    name: str | None = None
    port: int | None = None

    def admits(self, host: IPAddress | str, port: int) -> bool:
        if self.port is not None and port != self.port:
            return False
        if isinstance(host, str):
            return host == self.name
        return self.network is not None and host in self.network

    @classmethod
    def parse(cls, text: str) -> Allowed:
        """Raises ValueError saying what is wrong with `text`."""
        host, bracketed, port_text = _split(text)
        port = _port(port_text) if port_text is not None else None
        if "/" in host:
            return cls(text, network=ip_network(host), port=port)
        try:
            read = read_host(host, bracketed=bracketed)
        except Refused as exc:
            raise ValueError(str(exc)) from None
        if isinstance(read, str):
            return cls(text, name=read, port=port)
        return cls(text, network=ip_network(read), port=port)


def _split(text: str) -> tuple[str, bool, str | None]:
    """host, whether it was in brackets, and the port text after its colon (None: none)."""
    if text.startswith("["):
        inside, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise ValueError("an IPv6 entry is [address] or [address]:port")
        return inside, True, rest[1:] if rest else None
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, False, port
    return text, False, None


def _port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"port {text!r} is not a number from 1 to 65535")
    return int(text)


@dataclass(frozen=True)
class AllowList:
    entries: tuple[Allowed, ...] = ()

    @classmethod
    def parse(cls, value: object) -> AllowList:
        """From a comma- or blank-separated text or a list of entries; raises ValueError
        naming every bad entry."""
        if isinstance(value, AllowList):
            return value
        if isinstance(value, str):
            texts = [t for t in re.split(r"[\s,]+", value) if t]
        elif isinstance(value, list | tuple) and all(isinstance(t, str) for t in value):
            texts = [t.strip() for t in value if t.strip()]
        else:
            raise ValueError("expected entries separated by commas")
        entries, problems = [], []
        for text in texts:
            try:
                entries.append(Allowed.parse(text))
            except ValueError as exc:
                problems.append(f"{text!r}: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return cls(tuple(entries))

    def admits(self, host: IPAddress | str, port: int) -> bool:
        return any(entry.admits(host, port) for entry in self.entries)

    def __str__(self) -> str:
        return ",".join(entry.text for entry in self.entries)

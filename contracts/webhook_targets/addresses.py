"""Which IP addresses a webhook may reach, and how a host written as numbers is read.

Public means globally routable unicast: every IPv4 range of the IANA special-purpose
registry is refused, and of IPv6 only 2000::/3 outside its special blocks is public; an IPv6
address that carries an IPv4 one (mapped, NAT64, 6to4) is judged by the IPv4 it carries."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address

_V4_REFUSED: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(net), why)
    for net, why in (
        ("0.0.0.0/8", "unspecified / this network"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (cloud metadata)"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved / broadcast"),
    )
)
_V6_GLOBAL = IPv6Network("2000::/3")
_V6_REFUSED_GLOBAL: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), why)
    for net, why in (
        ("2001::/23", "IETF protocol assignments (Teredo among them)"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
    )
)
_V4_MAPPED = IPv6Network("::ffff:0:0/96")
_NAT64 = IPv6Network("64:ff9b::/96")
_6TO4 = IPv6Network("2002::/16")


def address_refusal(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address (e.g. "loopback"), or None when it is."""
    if isinstance(ip, IPv4Address):
        return next((why for net, why in _V4_REFUSED if ip in net), None)
    if ip.scope_id:
        return "scoped (has a zone)"
    carried = _carried_ipv4(ip)
    if carried is not None:
        why = address_refusal(carried)
        return f"carries {carried}, {why}" if why else None
    if ip not in _V6_GLOBAL:
        return _v6_kind(ip)
    return next((why for net, why in _V6_REFUSED_GLOBAL if ip in net), None)


def _carried_ipv4(ip: IPv6Address) -> IPv4Address | None:
    if ip in _V4_MAPPED or ip in _NAT64:
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _6TO4:
        return ip.sixtofour
    return None


def _v6_kind(ip: IPv6Address) -> str:
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip in IPv6Network("fc00::/7"):
        return "unique local (private)"
    return "reserved"


_HEX = re.compile(r"0[xX][0-9a-fA-F]*")
_NUMBER = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")


def ends_in_a_number(host: str) -> bool:
    """The URL standard's test: a host whose last label is a number is an IPv4 address."""
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    return bool(_NUMBER.fullmatch(labels[-1]))


def numeric_ipv4(host: str) -> IPv4Address:
    """Read `host` as libc's inet_aton and browsers do: 1 to 4 parts, each decimal, 0x-hex
    or 0-leading octal, the last filling the remaining bytes (127.1, 2130706433, 0x7f000001,
    0177.0.0.1 are all 127.0.0.1). Raises ValueError when it is no IPv4 address."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not 1 <= len(parts) <= 4:
        raise ValueError("too many parts for an IPv4 address")
    numbers = [_part(p) for p in parts]
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise ValueError("a part of the IPv4 address is too large")
    value = last
    for index, n in enumerate(leading):
        value += n << (8 * (3 - index))
    return IPv4Address(value)


def _part(text: str) -> int:
    if _HEX.fullmatch(text):
        return int(text[2:] or "0", 16)
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{text!r} is not a number")
    if len(text) > 1 and text.startswith("0"):
        return int(text, 8)  # ValueError for 8 or 9, as inet_aton
    return int(text)

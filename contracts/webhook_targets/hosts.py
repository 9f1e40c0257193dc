"""Reading the host of a webhook URL as the resolver will see it, and which names never
lead to a public receiver."""

from __future__ import annotations

import re
from ipaddress import IPv6Address, ip_address

from contracts.webhook_targets.addresses import IPAddress, ends_in_a_number, numeric_ipv4

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
# Special-use names (localhost, local, home.arpa, test, invalid, example, onion, alt) and
# ICANN's private-use internal (metadata.google.internal): none names a public receiver.
_SPECIAL_USE = (
    "localhost", "local", "arpa", "test", "invalid", "example", "onion", "alt", "internal",
)  # fmt: skip


class Refused(ValueError):
    """A webhook target is refused; `rule` names the rule broken, the message says how."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def read_host(host: str, *, bracketed: bool = False) -> IPAddress | str:
    """An IP address, or a lowercase ASCII name without its trailing dot. A host that ends
    in a number must be an IPv4 address in dotted decimal: any other spelling (2130706433,
    0x7f000001, 0177.0.0.1, 127.1) is refused, naming the address it stands for."""
    if bracketed or ":" in host:
        try:
            address = ip_address(host)
        except ValueError:
            address = None
        if not isinstance(address, IPv6Address):
            raise Refused("webhook-host", f"{host!r} 不是 IPv6 地址 / is no IPv6 address")
        return address
    name = _ascii(host).lower()
    if ends_in_a_number(name):
        return _dotted_ipv4(name)
    name = name.removesuffix(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _not_a_name(host)
    return name


def _not_a_name(host: str) -> Refused:
    return Refused("webhook-host", f"{host!r} 不是合法的主机名 / is not a valid host name")


def _ascii(host: str) -> str:
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise _not_a_name(host) from None


def _dotted_ipv4(host: str) -> IPAddress:
    try:
        address = numeric_ipv4(host)
    except ValueError as exc:
        why = f"{host!r} 不是合法的 IP 地址 / is no IP address: {exc}"
        raise Refused("webhook-host", why) from None
    if str(address) != host.removesuffix("."):
        raise Refused(
            "webhook-host",
            f"{host!r} 即 {address}，IP 地址须写作四段十进制 / stands for {address}: write an"
            " IPv4 address as four decimal numbers",
        )
    return address


def name_refusal(name: str) -> str | None:
    """Why the host name `name` (as read_host gives it) is no public receiver, or None."""
    labels = name.split(".")
    if labels[-1] in _SPECIAL_USE:
        return f"{name}: .{labels[-1]} 是特殊用途域名 / .{labels[-1]} is a special-use name"
    if len(labels) == 1:
        return f"{name}: 单标签主机名只在内网解析 / a single-label name is an intranet's"
    return None

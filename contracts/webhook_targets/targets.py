"""The policy on where an applicant's webhook may point: a public http(s) receiver, unless
the operators' allow-list admits it. Checked on the URL when an application is submitted
and when the notifier sends, and on every resolved address when it connects."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from contracts.webhook_targets.addresses import IPAddress, address_refusal
from contracts.webhook_targets.allow_list import AllowList
from contracts.webhook_targets.hosts import Refused, name_refusal, read_host

DEFAULT_PORTS = {"http": 80, "https": 443}
# Ports from 1024 up are open to receivers, except the URL fetch standard's "bad ports"
# there: protocols an HTTP body could be smuggled into (SIP, IRC, X11, NFS, …).
_BAD_HIGH_PORTS = frozenset(
    {1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566}
    | {6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080}
)
# Whitespace, control characters and the backslash: URL parsers disagree on them.
_AMBIGUOUS = re.compile(r"[\x00-\x20\x7f\\]")


@dataclass(frozen=True)
class Target:
    scheme: str
    host: IPAddress | str
    port: int


def read_target(url: str) -> Target:
    """The receiver `url` names; Refused when it is no http(s) URL (rule `url`), carries
    credentials (`webhook-userinfo`), or its host is no valid name or address (`webhook-host`)."""
    if _AMBIGUOUS.search(url):
        raise Refused("url", "地址含空白、控制字符或反斜杠 / has blanks, control characters or \\")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused("url", f"不是合法的 URL / is not a valid URL: {exc}") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise Refused("url", "应为 http(s) 地址 / must be an http(s) URL")
    if "@" in parts.netloc:
        raise Refused("webhook-userinfo", "地址不得含用户名或密码 / must not carry user:password@")
    host = read_host(parts.hostname, bracketed=parts.netloc.startswith("["))
    return Target(parts.scheme, host, DEFAULT_PORTS[parts.scheme] if port is None else port)


def target_refusal(url: str, allow: AllowList) -> Refused | None:
    """Why `url` may not be a webhook, or None: a public host (`webhook-host`,
    `webhook-address`) on 80, 443 or a port from 1024 up (`webhook-port`), or admitted."""
    try:
        target = read_target(url)
    except Refused as refused:
        return refused
    if allow.admits(target.host, target.port):
        return None
    if isinstance(target.host, str):
        if why := name_refusal(target.host):
            return Refused("webhook-host", why)
    elif why := address_refusal(target.host):
        return Refused(
            "webhook-address", f"{target.host} 不是公网地址 / is not a public address ({why})"
        )
    if not public_port(target.port):
        return Refused(
            "webhook-port",
            f"端口 {target.port} 不可用 / port {target.port} is not allowed:"
            " use 80, 443 or a port from 1024 up",
        )
    return None


def public_port(port: int) -> bool:
    return port in (80, 443) or (1024 <= port <= 65535 and port not in _BAD_HIGH_PORTS)


def connect_refusal(
    host: str, port: int, addresses: Sequence[IPAddress], allow: AllowList
) -> str | None:
    """At connect time, `host` resolved to `addresses`: why not to connect, or None when
    the name is admitted or every address is public or admitted."""
    if not addresses:
        return f"{host} resolved to no address"
    try:
        if allow.admits(read_host(host), port):
            return None
    except Refused as refused:
        return str(refused)
    for address in addresses:
        if not allow.admits(address, port) and (why := address_refusal(address)):
            return f"{host} resolves to {address}, not a public address ({why})"
    return None

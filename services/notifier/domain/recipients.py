"""Recipients: what a valid address of each channel looks like, whose receiver a notice
goes to, and how an address is masked in events and logs (an address is personal data;
only the notice stream keeps it whole)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from contracts.webhook_targets import Refused, read_target
from services.notifier.domain.events import NoticePrepared

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MOBILE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")
_COUNTRY_CODE = re.compile(r"^\+?86(?=1\d{10}$)")


def address_problem(channel: str, address: str) -> str | None:
    """Why `address` cannot be delivered to over `channel`, or None when it can."""
    if channel == "webhook":
        try:
            read_target(address)
        except Refused as exc:
            return f"the webhook address is refused ({exc.rule}): {exc}"
        return None
    if channel == "email":
        return None if _EMAIL.match(address) else "the e-mail address is not valid"
    if channel == "sms":
        return None if _MOBILE.match(address) else "the mobile number is not a mainland mobile"
    return f"unknown delivery channel {channel!r}"


def for_operators(prepared: NoticePrepared) -> bool:
    """Supervision notices go to the receivers operators configured (the supervision
    channel, the department contacts file), not to an address an applicant gave: they are
    not held to the applicants' webhook policy."""
    return prepared.kind == "supervision"


def national_mobile(address: str) -> str:
    """The 11-digit mobile without a +86 or 86 prefix, as the SMS gateway wants it."""
    return _COUNTRY_CODE.sub("", address)


def mask(channel: str, address: str) -> str:
    """e-mail c***@example.cn, mobile 138****1234, webhook the URL's host only."""
    if channel == "email" and "@" in address:
        local, domain = address.rsplit("@", 1)
        return f"{local[:1]}***@{domain}"
    if channel == "sms":
        digits = national_mobile(address)
        return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else "****"
    if channel == "webhook":
        try:
            host = urlsplit(address).hostname
        except ValueError:
            host = None
        return host or "***"
    return "***"

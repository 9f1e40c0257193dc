"""The e-mail a notice becomes: UTF-8 plain text, a Message-ID stable for the notice so a
second send after a crash can be recognised as the same message."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, parseaddr

from services.notifier.domain.events import NoticePrepared
from services.notifier.domain.webhook import DELIVERY_HEADER

# Header lines up to RFC 5322's hard limit: a folded Message-ID reads back with a leading space.
_POLICY = default.clone(max_line_length=998)
# What a Message-ID's left part may hold (RFC 5322 dot-atom); a clock notice's key has ':'.
_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")


def message_id(delivery_id: str, sender: str) -> str:
    """`<delivery id@sender's domain>`, a character a Message-ID cannot hold made '.'; the
    header X-OneWindow-Delivery carries the delivery id as it is."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "onewindow.invalid"
    return f"<{_NOT_ATEXT.sub('.', delivery_id)}@{domain}>"


def compose_email(prepared: NoticePrepared, delivery_id: str, sender: str) -> EmailMessage:
    message = EmailMessage(policy=_POLICY)
    message["From"] = sender
    message["To"] = prepared.address
    message["Subject"] = prepared.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id(delivery_id, sender)
    message[DELIVERY_HEADER] = delivery_id
    message.set_content(prepared.text, charset="utf-8")
    return message

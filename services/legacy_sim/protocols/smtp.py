"""Stand-in of the mail server the notifier sends e-mail to: aiosmtpd on its own thread.

Every message is accepted and kept, decoded: RFC 2047 subject, text body (the HTML part if
there is no plain one), attachment names and sizes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

from services.legacy_sim.domain.received import Attachment, Mail, Received


def read_mail(sender: str, recipients: list[str], raw: bytes) -> Mail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # policy.default parses into EmailMessage
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    attachments = tuple(
        Attachment(
            part.get_filename(),
            part.get_content_type(),
            len(part.get_payload(decode=True) or b""),
        )
        for part in message.iter_attachments()
    )
    message_id = message.get("Message-ID")
    return Mail(
        sender=sender,
        recipients=tuple(recipients),
        subject=str(message.get("Subject", "")),
        text=text,
        message_id=str(message_id) if message_id else None,
        received_at=datetime.now(UTC),
        attachments=attachments,
    )


class MailDrop:
    """The aiosmtpd handler: keeps every message it is given."""

    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        try:
            mail = read_mail(envelope.mail_from, list(envelope.rcpt_tos), raw)
        except (LookupError, ValueError) as e:  # e.g. an unknown charset
            return f"554 Cannot decode the message: {e}"
        self.received.add_mail(mail)
        return "250 Message accepted for delivery"


async def start_smtp(received: Received, host: str, port: int) -> Controller:
    controller = Controller(MailDrop(received), hostname=host, port=port, enable_SMTPUTF8=True)
    await asyncio.to_thread(controller.start)
    return controller


async def stop_smtp(controller: Controller) -> None:
    await asyncio.to_thread(controller.stop)

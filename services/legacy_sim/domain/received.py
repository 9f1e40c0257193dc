"""What the stand-ins of the notifier's outside world received: text messages and e-mails.

The SMTP server runs on a thread of its own, so the lists are guarded by a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class TextMessage:
    message_id: str
    mobile: str
    content: str
    signature: str
    received_at: datetime


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    content_type: str
    size: int


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    message_id: str | None
    received_at: datetime
    attachments: tuple[Attachment, ...] = ()


@dataclass
class Received:
    _texts: list[TextMessage] = field(default_factory=list)
    _mails: list[Mail] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_text(self, message: TextMessage) -> None:
        with self._lock:
            self._texts.append(message)

    def add_mail(self, mail: Mail) -> None:
        with self._lock:
            self._mails.append(mail)

    def texts(self) -> list[TextMessage]:
        with self._lock:
            return list(self._texts)

    def mails(self) -> list[Mail]:
        with self._lock:
            return list(self._mails)

    def clear(self) -> None:
        with self._lock:
            self._texts.clear()
            self._mails.clear()

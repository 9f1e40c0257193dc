"""E-mail over SMTP. smtplib blocks, so each send runs in a thread, bounded by a time-out."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from pydantic import SecretStr

from services.notifier.domain.delivery import retryable, terminal
from services.notifier.domain.email import compose_email
from services.notifier.domain.events import NoticePrepared


class SmtpSender:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        timeout: float,
        starttls: bool = False,
        username: str | None = None,
        password: SecretStr | None = None,
    ) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.starttls, self.username, self._password = starttls, username, password

    async def send(self, prepared: NoticePrepared, delivery_id: str) -> str:
        message = compose_email(prepared, delivery_id, self.sender)
        try:
            await asyncio.to_thread(self._send, message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = f"SMTP refused the recipient ({', '.join(map(str, codes))})"
            raise (terminal if all(c >= 500 for c in codes) else retryable)(error) from None
        except smtplib.SMTPResponseException as exc:
            error = f"SMTP answered {exc.smtp_code} ({type(exc).__name__})"
            raise (terminal if exc.smtp_code >= 500 else retryable)(error) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise retryable(f"SMTP unreachable ({type(exc).__name__}: {exc})") from None
        return str(message["Message-ID"])

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                password = self._password.get_secret_value() if self._password else ""
                smtp.login(self.username, password)
            smtp.send_message(message)

"""One HTTP POST to a receiver, its failures sorted into retryable and terminal."""

from __future__ import annotations

from typing import Protocol

from runtime.http_client import Response, TimedOut, Unreachable, Unsendable
from services.notifier.adapters.webhook_targets import TargetRefused
from services.notifier.domain.delivery import check_http_status, retryable, terminal


class Poster(Protocol):
    """runtime/http_client.HttpClient, or the applicants' CheckedClient."""

    async def post(
        self, url: str, *, content: bytes, headers: dict[str, str], timeout: float
    ) -> Response: ...


async def post(
    http: Poster, who: str, url: str, body: bytes, headers: dict[str, str], timeout: float
) -> Response:
    """POST once; a time-out or a connection error may pass, so both are retryable, a
    receiver the webhook policy refuses stays refused. Error texts name the failure, never
    the URL (it may carry a token)."""
    try:
        response = await http.post(url, content=body, headers=headers, timeout=timeout)
    except TargetRefused as exc:
        raise terminal(f"{who} target refused: {exc}") from None
    except Unsendable:
        raise terminal(f"{who} address cannot be sent to (scheme, host or header)") from None
    except TimedOut:
        raise retryable(f"{who} timed out") from None
    except Unreachable as exc:
        raise retryable(f"{who} unreachable ({str(exc).partition(':')[0]})") from None
    check_http_status(response.status_code, who)
    return response

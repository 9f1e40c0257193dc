"""One HTTP POST to a receiver, its failures sorted into retryable and terminal."""

from __future__ import annotations

import httpx

from services.notifier.adapters.webhook_targets import TargetRefused
from services.notifier.domain.delivery import check_http_status, retryable, terminal


async def post(
    http: httpx.AsyncClient, who: str, url: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    """POST once; a time-out or a connection error may pass, so both are retryable, a
    receiver the webhook policy refuses stays refused. Error texts name the failure, never
    the URL (it may carry a token)."""
    try:
        response = await http.post(url, content=body, headers=headers)
    except TargetRefused as exc:
        raise terminal(f"{who} target refused: {exc}") from None
    except httpx.UnsupportedProtocol:
        raise terminal(f"{who} address has an unsupported scheme") from None
    except httpx.TimeoutException as exc:
        raise retryable(f"{who} timed out ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        raise retryable(f"{who} unreachable ({type(exc).__name__})") from None
    check_http_status(response.status_code, who)
    return response

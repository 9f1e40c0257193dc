"""TCP ports on 127.0.0.1: a free one, one that must be free, one that is listening."""

from __future__ import annotations

import contextlib
import socket
import time


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_free_port(port: int, what: str, wait_seconds: float = 0.0) -> None:
    """Raise unless ``port`` can be bound, trying for up to ``wait_seconds``: after a server
    is killed, its side of each connection stays (FIN_WAIT) until the client closes it."""
    deadline = time.monotonic() + wait_seconds
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            # Servers bind with SO_REUSEADDR, so TIME_WAIT leftovers must not count as "in use".
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
                return
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise RuntimeError(
                        f"cannot start {what}: port {port} is already in use ({exc})"
                    ) from exc
        time.sleep(0.1)


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onewindow.embedded import free_port
from onewindow.stack import SERVICES, Stack


@pytest.fixture(scope="session")
def services(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """Every service as its own process, on the test stack's PostgreSQL and broker."""
    running = Stack(
        root=tmp_path_factory.mktemp("services"),
        database_url=stack.database_url,
        kafka=stack.kafka,
        ports={name: free_port() for name in SERVICES},
    )
    running.start_services()
    try:
        running.wait_ready(timeout=120)
        yield running
    finally:
        running.stop_services()

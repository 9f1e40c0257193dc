"""A whole stack of the load tools' own on free ports, and the faults done to it: one service
killed and started again, the broker lost and started empty, PostgreSQL crashed and started
again on the same data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from onewindow.embedded import EmbeddedBroker, EmbeddedPostgres, free_port
from onewindow.load.cpu import Watched
from onewindow.stack import LEGACY_SIM, SERVICES, Stack, local_parts

T = TypeVar("T")


def free_ports(names: list[str]) -> dict[str, int]:
    """A distinct free port per name (two calls of free_port may hand out the same one)."""
    ports: dict[str, int] = {}
    while len(ports) < len(names):
        port = free_port()
        if port not in ports.values():
            ports[names[len(ports)]] = port
    return ports


@contextmanager
def own_stack(root: Path, extra_env: dict[str, str], replicas: int = 1) -> Iterator[StackControl]:
    """Embedded PostgreSQL and broker, every service (``replicas`` of those that may have
    several) and legacy_sim under ``root``, on free ports, whatever ONEWINDOW_DATABASE_URL and
    ONEWINDOW_KAFKA_BOOTSTRAP_SERVERS say; stopped on leaving (services killed: what they were
    doing is of no interest any more)."""
    ports = free_ports(["postgres", "broker", *local_parts(replicas)])
    stack = Stack(
        root=root,
        pg_port=ports.pop("postgres"),
        kafka_port=ports.pop("broker"),
        ports=ports,
    )
    control = StackControl(stack, extra_env)
    try:
        stack.start_infrastructure(use_environment=False)
        stack.start_services(extra_env)
        stack.wait_ready()
        yield control
    finally:
        for name in stack.processes:
            stack.kill_service(name)
        stack.stop()


class StackControl:
    """Faults done to a running own stack; each returns once the part is started again."""

    def __init__(self, stack: Stack, extra_env: dict[str, str]) -> None:
        self.stack, self.extra_env = stack, extra_env

    def kill_service(self, name: str) -> None:
        """SIGKILL ``name`` (a service, or one replica of it) and start it again at once (its
        readiness is not waited for)."""
        known = self.stack.service_processes
        if name not in known:
            raise ValueError(f"unknown service {name!r}; one of {', '.join(known)}")
        self.stack.kill_service(name)
        self.stack.start_service(name, self.extra_env)

    def lose_broker(self) -> None:
        """SIGKILL the broker and start an empty one on the same port: topics, records and
        consumer offsets are gone (its storage is memory-only)."""
        broker = self._embedded(EmbeddedBroker)
        broker.kill()
        broker.start(port_wait_seconds=30)

    def crash_postgres(self) -> None:
        """Stop PostgreSQL in immediate mode (every process ends at once, as in a crash) and
        start it on the same data directory: it recovers from the WAL."""
        postgres = self._embedded(EmbeddedPostgres)
        postgres.stop(mode="immediate")
        postgres.start()

    def _embedded(self, kind: type[T]) -> T:
        for part in self.stack.embedded:
            if isinstance(part, kind):
                return part
        raise RuntimeError(f"this stack runs no embedded {kind.__name__}")


def watched_parts(root: Path | None) -> list[Watched]:
    """Every part of a stack whose pid files are under ``root`` (own or `onewindow up`'s, each
    replica its own part; None: not known, so not measured), and this process itself (its own
    time only: the stack it started is its children)."""
    names = [*SERVICES, LEGACY_SIM, "postgresql", "broker"]
    parts = [Watched(name, None) for name in names]
    if root is not None:
        stack = Stack(root=root)
        parts = [Watched(name, _pid(stack.pidfile(name))) for name in stack.recorded()]
        parts.append(Watched("postgresql", EmbeddedPostgres(root / "postgres", 0).running_pid()))
        parts.append(Watched("broker", EmbeddedBroker(root / "broker", 0).running_pid()))
    return [*parts, Watched("load client", os.getpid(), tree=False)]


def _pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None

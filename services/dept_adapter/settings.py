"""dept_adapter's settings (ONEWINDOW_* variables), the per-department file and the
per-register file, validated at start-up.

An invalid departments file stops the service with one message naming the department and
the field; psb and unknown departments are refused (psb's system reads its topic itself).
So does an invalid registers file, naming the register; every register of
contracts/registers.py is read, with the file's defaults unless the file says otherwise.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from contracts.departments import DEPARTMENTS
from contracts.registers import DATASETS
from eventlog.retry import Backoff
from runtime.settings import ServiceSettings
from services.dept_adapter.domain.breaker import CircuitBreaker, Clock
from services.dept_adapter.domain.health import Health

HERE = Path(__file__).parent
NOT_OURS = frozenset({"psb"})


class DeptAdapterSettings(ServiceSettings):
    http_port: int = Field(8003, ge=0, le=65535)
    legacy_base_url: str = Field(
        "http://127.0.0.1:8090", description="Base URL of a department without its own base_url."
    )
    departments_file: Path = HERE / "departments.yaml"
    adapter_public_url: str = Field(
        "http://127.0.0.1:8003", description="Where legacy systems reach this service (callbacks)."
    )
    callback_secret: SecretStr = SecretStr("onewindow-legacy-sim-demo-secret")
    rescan_seconds: float = Field(5.0, gt=0, description="Log rescan even without a NOTIFY.")
    sharing_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="The data-sharing platform; default: <legacy_base_url>/sharing.",
    )
    sharing_token: SecretStr = SecretStr("onewindow-sharing-demo-token")
    registers_file: Path = HERE / "registers.yaml"

    @property
    def platform_url(self) -> str:
        return self.sharing_url or self.legacy_base_url.rstrip("/") + "/sharing"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BackoffSettings(_Part):
    """The one back-off policy (eventlog/retry.py): the wait after failed attempt n is
    uniform in [0, min(cap_seconds, base_seconds · 2^(n-1)))."""

    base_seconds: float = Field(0.2, gt=0)
    cap_seconds: float = Field(5.0, gt=0)

    def policy(self, draw: Callable[[], float] = random.random) -> Backoff:
        # a base above the cap waits up to the cap from the first retry on
        first = min(self.base_seconds, self.cap_seconds)
        return Backoff(first=first, cap=self.cap_seconds, draw=draw)


class BreakerSettings(_Part):
    failure_threshold: int = Field(5, ge=1)
    open_seconds: float = Field(30.0, gt=0)
    half_open_probes: int = Field(1, ge=1)


class _Calls(_Part):
    """How calls to one outside system are made: time-outs, retries, breaker, concurrency."""

    base_url: str | None = Field(None, pattern=r"^https?://")
    timeout_seconds: float = Field(10.0, gt=0)
    max_attempts: int = Field(4, ge=1)
    backoff: BackoffSettings = BackoffSettings()
    breaker: BreakerSettings = BreakerSettings()
    concurrency: int = Field(8, ge=1)

    def health(self, clock: Clock, draw: Callable[[], float] = random.random) -> Health:
        """The system's health as its callers find it: a fresh breaker, the back-off."""
        b = self.breaker
        breaker = CircuitBreaker(b.failure_threshold, b.open_seconds, b.half_open_probes, clock)
        return Health(breaker, self.backoff.policy(draw))


class DepartmentConfig(_Calls):
    protocol: Literal["rest", "soap", "poll", "callback"]
    path: str = Field(pattern=r"^/[A-Za-z0-9/_.-]*$", description="Prefix, e.g. /amr")
    poll_interval_seconds: float = Field(1.0, gt=0)
    callback_wait_seconds: float = Field(
        60.0,
        gt=0,
        description="callback: with no decision this long after acceptance, the filing is"
        " submitted again (same key): a system whose deliveries gave up calls back anew.",
    )


class RegisterConfig(_Calls):
    """One register, read through the platform (or `base_url`: a department's own endpoint
    speaking the platform's protocol). A lookup retries it, and waits for its breaker to let
    a call through, for at most `give_up_seconds` and `max_attempts` calls; then it answers
    "unavailable" and the applicant is asked to upload the material: a register never
    stalls an application, and a flaky one is ridden out."""

    timeout_seconds: float = Field(5.0, gt=0)
    max_attempts: int = Field(10, ge=1)
    give_up_seconds: float = Field(60.0, gt=0)


class DepartmentsConfigError(ValueError):
    pass


def _merged(defaults: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for name, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            value = {**merged[name], **value}
        merged[name] = value
    return merged


def parse_departments(document: Any, source: str = "departments") -> dict[str, DepartmentConfig]:
    """`{defaults: {...}, departments: {dept: {...}}}`, each department over the defaults."""
    own = _sections(document, source, "departments", required=True)
    for department in own:
        if department not in DEPARTMENTS or department in NOT_OURS:
            raise DepartmentsConfigError(
                f"{source}: department {department!r}: not one dept_adapter serves"
            )
    return _parsed(document, own, source, "department", DepartmentConfig)


def parse_registers(document: Any, source: str = "registers") -> dict[str, RegisterConfig]:
    """`{defaults: {...}, registers: {dataset: {...}}}`: every register of contracts'
    list, each over the defaults; one the list does not have is refused."""
    own = _sections(document or {}, source, "registers", required=False)
    for dataset in own:
        if dataset not in DATASETS:
            raise DepartmentsConfigError(
                f"{source}: register {dataset!r}: unknown; known: {', '.join(DATASETS)}"
            )
    every = {dataset: own.get(dataset) or {} for dataset in DATASETS}
    return _parsed(document or {}, every, source, "register", RegisterConfig)


def _sections(document: Any, source: str, name: str, *, required: bool) -> dict[str, Any]:
    if not isinstance(document, dict) or (required and not isinstance(document.get(name), dict)):
        raise DepartmentsConfigError(f"{source}: expected a mapping with {name!r}")
    unknown = set(document) - {"defaults", name}
    if unknown:
        raise DepartmentsConfigError(f"{source}: unknown top-level keys {sorted(unknown)}")
    own = document.get(name) or {}
    if not isinstance(own, dict):
        raise DepartmentsConfigError(f"{source}: {name!r} must be a mapping")
    return own


C = TypeVar("C", bound=_Calls)


def _parsed(
    document: dict[str, Any], own: dict[str, Any], source: str, what: str, model: type[C]
) -> dict[str, C]:
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise DepartmentsConfigError(f"{source}: 'defaults' must be a mapping")
    configs: dict[str, C] = {}
    for name, settings in own.items():
        if not isinstance(settings, dict):
            raise DepartmentsConfigError(f"{source}: {what} {name!r}: expected a mapping")
        try:
            configs[name] = model.model_validate(_merged(defaults, settings))
        except ValidationError as e:
            problems = "; ".join(
                f"field {'.'.join(map(str, x['loc']))!r}: {x['msg']}" for x in e.errors()
            )
            raise DepartmentsConfigError(f"{source}: {what} {name!r}: {problems}") from None
    return configs


def _document(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise DepartmentsConfigError(f"{path}: cannot read: {e}") from None


def load_departments(path: Path) -> dict[str, DepartmentConfig]:
    return parse_departments(_document(path), str(path))


def load_registers(path: Path) -> dict[str, RegisterConfig]:
    return parse_registers(_document(path), str(path))

"""Settings (ONEWINDOW_* variables) and the per-department file, validated at start-up.

An invalid departments file stops the service with one message naming the department and
the field; psb and unknown departments are refused (psb's system reads its topic itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from contracts.departments import DEPARTMENTS
from runtime.settings import ServiceSettings

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


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Backoff(_Part):
    base_seconds: float = Field(0.2, gt=0)
    cap_seconds: float = Field(5.0, gt=0)


class Breaker(_Part):
    failure_threshold: int = Field(5, ge=1)
    open_seconds: float = Field(30.0, gt=0)
    half_open_probes: int = Field(1, ge=1)


class DepartmentConfig(_Part):
    protocol: Literal["rest", "soap", "poll", "callback"]
    path: str = Field(pattern=r"^/[A-Za-z0-9/_.-]*$", description="Prefix, e.g. /amr")
    base_url: str | None = Field(None, pattern=r"^https?://")
    timeout_seconds: float = Field(10.0, gt=0)
    max_attempts: int = Field(4, ge=1)
    backoff: Backoff = Backoff()
    breaker: Breaker = Breaker()
    concurrency: int = Field(8, ge=1)
    poll_interval_seconds: float = Field(1.0, gt=0)


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
    if not isinstance(document, dict) or not isinstance(document.get("departments"), dict):
        raise DepartmentsConfigError(f"{source}: expected a mapping with 'departments'")
    unknown = set(document) - {"defaults", "departments"}
    if unknown:
        raise DepartmentsConfigError(f"{source}: unknown top-level keys {sorted(unknown)}")
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise DepartmentsConfigError(f"{source}: 'defaults' must be a mapping")
    configs: dict[str, DepartmentConfig] = {}
    for department, own in document["departments"].items():
        if department not in DEPARTMENTS or department in NOT_OURS:
            raise DepartmentsConfigError(
                f"{source}: department {department!r}: not one dept_adapter serves"
            )
        if not isinstance(own, dict):
            raise DepartmentsConfigError(f"{source}: department {department!r}: expected a mapping")
        try:
            configs[department] = DepartmentConfig.model_validate(_merged(defaults, own))
        except ValidationError as e:
            problems = "; ".join(
                f"field {'.'.join(map(str, x['loc']))!r}: {x['msg']}" for x in e.errors()
            )
            raise DepartmentsConfigError(
                f"{source}: department {department!r}: {problems}"
            ) from None
    return configs


def load_departments(path: Path) -> dict[str, DepartmentConfig]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise DepartmentsConfigError(f"{path}: cannot read: {e}") from None
    return parse_departments(document, str(path))

"""Settings of the legacy simulator: ONEWINDOW_LEGACY_SIM_* variables and an override file.

A department's behaviour is built from layers, later ones winning field by field: the built-in
defaults, the file's ``all_departments``, the file's ``departments.<dept>``, then the same two
from the environment (``ONEWINDOW_LEGACY_SIM_ALL_DEPARTMENTS='{"latency_ms": 0}'``,
``ONEWINDOW_LEGACY_SIM_DEPARTMENTS__AMR__ERROR_RATE=0.2``). The registers of the data-sharing
platform are layered the same way from ``all_datasets`` and ``datasets.<dataset>``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROTOCOLS: dict[str, str] = {
    **dict.fromkeys(("amr", "hpf", "hcd", "water", "power", "gas", "hhc", "mia"), "rest"),
    "tax": "soap",
    "hrss": "poll",
    "nrb": "callback",
    "psb": "topic",
}
# Stand-ins for the notifier's outside world whose faults are configured like a department's.
OUTSIDE_WORLD = ("sms",)
REGISTERS_FILE = Path(__file__).parent / "data" / "registers.yaml"

# Codes as in contracts/catalog: the materials those sub-tasks list, so the happy path completes.
BUILT_IN: dict[str, dict[str, Any]] = {
    "amr": {"required_materials": {"amr-licence": {"articles": "公司章程"}}},
    "nrb": {
        "required_materials": {
            "nrb-transfer-registration": {"property-certificate": "不动产权证书"}
        }
    },
}


class DepartmentBehaviour(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: int = Field(20, ge=0, description="Mean latency added to every request.")
    jitter_ms: int = Field(10, ge=0, description="Latency varies uniformly by ± this much.")
    error_rate: float = Field(0.0, ge=0, le=1, description="Share of requests answered 500/503.")
    fail_first: int = Field(0, ge=0, description="The first N requests of every key answer 500.")
    timeout_rate: float = Field(0.0, ge=0, le=1, description="Share answered only after a stall.")
    timeout_seconds: float = Field(30.0, ge=0, description="The stall: beyond a client timeout.")
    processing_delay_ms: int = Field(1000, ge=0, description="Poll/callback: time to decide.")
    required_materials: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description='Sub-task code (or "*" for all) → {material code: name}; missing → 补正.',
    )

    def materials_for(self, subtask: str) -> dict[str, str]:
        return {**self.required_materials.get("*", {}), **self.required_materials.get(subtask, {})}

    def updated(self, partial: dict[str, Any]) -> DepartmentBehaviour:
        return DepartmentBehaviour.model_validate({**self.model_dump(), **partial})


class Behaviours:
    """Behaviours by name (departments, or registers), changed at run time and restored to the
    start-up ones on reset. An unknown name raises ``unknown(name)``."""

    def __init__(
        self, initial: Mapping[str, DepartmentBehaviour], unknown: Callable[[str], LookupError]
    ) -> None:
        self._initial = dict(initial)
        self._current = dict(initial)
        self._unknown = unknown

    def __getitem__(self, name: str) -> DepartmentBehaviour:
        try:
            return self._current[name]
        except KeyError:
            raise self._unknown(name) from None

    def configure(self, name: str, partial: dict[str, Any]) -> DepartmentBehaviour:
        self._current[name] = self[name].updated(partial)
        return self._current[name]

    def reset(self) -> None:
        self._current = dict(self._initial)


class LegacySimSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ONEWINDOW_LEGACY_SIM_", env_nested_delimiter="__", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = Field(8090, ge=0, le=65535)
    log_level: str = "info"
    config_file: Path | None = Field(None, description="JSON (or YAML, with PyYAML) overrides.")
    callback_secret: SecretStr = SecretStr("onewindow-legacy-sim-demo-secret")
    callback_max_attempts: int = Field(8, ge=1)
    callback_backoff_ms: int = Field(200, ge=0, description="First retry delay; doubles.")
    callback_backoff_max_ms: int = Field(10_000, ge=0)
    callback_timeout_seconds: float = Field(5.0, gt=0)
    seed: int | None = Field(None, description="Seed of the fault/latency dice, for replays.")
    kafka_bootstrap_servers: str | None = Field(
        None, description="psb consumes its topic on this broker; unset: psb is off."
    )
    kafka_group_id: str = Field("legacy-psb", min_length=1)
    kafka_topic_partitions: int = Field(4, ge=1, description="Used when creating a topic.")
    kafka_retry_backoff_ms: int = Field(200, ge=0, description="psb: first delayed retry; doubles.")
    kafka_retry_backoff_max_ms: int = Field(5_000, ge=0)
    sms_api_key: SecretStr = SecretStr("onewindow-sms-demo-key")
    sharing_token: SecretStr = SecretStr("onewindow-sharing-demo-token")
    sharing_data_file: Path = Field(
        REGISTERS_FILE, description="The registers' records (YAML), validated at start-up."
    )
    sharing_ledger_limit: int = Field(
        100_000, ge=1, description="Lookups the platform's ledger keeps (the newest)."
    )
    smtp_port: int = Field(8025, ge=0, le=65535, description="SMTP stand-in; 0: off.")
    all_departments: dict[str, Any] = Field(default_factory=dict)
    departments: dict[str, dict[str, Any]] = Field(default_factory=dict)
    all_datasets: dict[str, Any] = Field(default_factory=dict)
    datasets: dict[str, dict[str, Any]] = Field(default_factory=dict)


def _read_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        yaml = importlib.import_module("yaml")  # optional: PyYAML only for YAML files
        loaded: Any = yaml.safe_load(text)
    else:
        loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected an object at the top level")
    return loaded


def resolve_behaviours(settings: LegacySimSettings) -> dict[str, DepartmentBehaviour]:
    """The behaviour of every simulated department; invalid settings fail here, at start-up."""
    return _layered(settings, (*PROTOCOLS, *OUTSIDE_WORLD), "departments", BUILT_IN)


def resolve_register_behaviours(
    settings: LegacySimSettings, datasets: Iterable[str]
) -> dict[str, DepartmentBehaviour]:
    """The behaviour of every register of the data-sharing platform, by dataset."""
    return _layered(settings, tuple(datasets), "datasets", {})


def _layered(
    settings: LegacySimSettings,
    known: tuple[str, ...],
    kind: Literal["departments", "datasets"],
    built_in: dict[str, dict[str, Any]],
) -> dict[str, DepartmentBehaviour]:
    file = _read_file(settings.config_file) if settings.config_file else {}
    layers = [
        (file.get(f"all_{kind}", {}), file.get(kind, {})),
        (getattr(settings, f"all_{kind}"), getattr(settings, kind)),
    ]
    unknown = {name for _, per_name in layers for name in per_name} - set(known)
    if unknown:
        raise ValueError(f"unknown {kind} in legacy_sim settings: {sorted(unknown)}")
    behaviours = {}
    for name in known:
        merged: dict[str, Any] = dict(built_in.get(name, {}))
        for everyone, per_name in layers:
            merged |= everyone
            merged |= per_name.get(name, {})
        behaviours[name] = DepartmentBehaviour.model_validate(merged)
    return behaviours

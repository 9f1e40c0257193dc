"""The registers' records, read from a YAML data file and validated once, at start-up: every
dataset of the platform present and no other, every key well-formed and held once, every record
exactly the dataset's fields. A file that breaks any of this stops the simulator with the list
of what is wrong."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from pathlib import Path
from typing import Any

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from services.legacy_sim.domain.register_records import DATASETS, Dataset
from services.legacy_sim.domain.sharing import Register, StoredRecord


class RegisterDataError(ValueError):
    """The data file is not what the platform's datasets need; the message lists why."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1)
    also_keys: list[str] = Field(default_factory=list, description="Other keys that find it.")
    version: AwareDatetime
    record: dict[str, Any]


class _DataFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    datasets: dict[str, list[_Entry]]


def load_registers(path: Path) -> dict[str, Register]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise RegisterDataError(f"{path}: cannot read the registers: {e}") from None
    return build_registers(data, str(path))


def build_registers(data: Any, source: str) -> dict[str, Register]:
    try:
        parsed = _DataFile.model_validate(data)
    except ValidationError as e:
        raise RegisterDataError(f"{source}: {_describe(e, '')}") from None
    problems = [
        f"datasets: {name!r} is not a dataset of the platform"
        for name in parsed.datasets
        if name not in DATASETS
    ]
    problems += [f"datasets: {n!r} is missing" for n in DATASETS if n not in parsed.datasets]
    registers = {}
    for name, dataset in DATASETS.items():
        stored = [
            _stored(dataset, entry, f"datasets.{name}[{i}]", problems)
            for i, entry in enumerate(parsed.datasets.get(name, []))
        ]
        held = Counter(key for s in stored if s is not None for key in s.keys)
        problems += [
            f"datasets.{name}: key {key!r} is held more than once"
            for key, times in sorted(held.items())
            if times > 1
        ]
        if not problems:
            registers[name] = Register(name, dataset.fields, [s for s in stored if s])
    if problems:
        raise RegisterDataError(f"{source}: " + "; ".join(problems))
    return registers


def _stored(dataset: Dataset, entry: _Entry, at: str, problems: list[str]) -> StoredRecord | None:
    keys = (entry.key, *entry.also_keys)
    wrong = [f"{at}: key {k!r}: {why}" for k in keys if (why := dataset.check_key(k))]
    try:
        record = dataset.model.model_validate(entry.record)
    except ValidationError as e:
        problems += [*wrong, f"{at}: {_describe(e, 'record.')}"]
        return None
    if not wrong and (why := dataset.check_record(entry.key, record)):
        wrong.append(f"{at}: {why}")
    problems += wrong
    version = entry.version.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return StoredRecord(keys, record.model_dump(mode="json"), version)


def _describe(e: ValidationError, prefix: str) -> str:
    return ", ".join(f"{prefix}{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors())

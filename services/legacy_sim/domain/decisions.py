"""What a legacy system decides about one filing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class FilingRequest:
    department: str
    idempotency_key: str
    application_id: str
    subtask: str
    inputs: Mapping[str, object] = field(default_factory=dict)
    materials: tuple[str, ...] = ()


@dataclass(frozen=True)
class Completed:
    outputs: Mapping[str, str]
    status: Literal["completed"] = "completed"


@dataclass(frozen=True)
class Rejected:
    reason: str
    status: Literal["rejected"] = "rejected"


@dataclass(frozen=True)
class MissingMaterial:
    code: str
    name: str
    reason: str


@dataclass(frozen=True)
class SupplementRequired:
    materials: tuple[MissingMaterial, ...]
    status: Literal["supplement"] = "supplement"


Decision = Completed | Rejected | SupplementRequired

"""The decision rules every simulated department applies to a filing.

Precedence: a rejection marker wins over everything; otherwise every reason for a supplement
(missing required materials and flagged inputs) goes into ONE combined request (一次性告知);
otherwise the filing completes with outputs derived from the idempotency key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from services.legacy_sim.domain.decisions import (
    Completed,
    Decision,
    FilingRequest,
    MissingMaterial,
    Rejected,
    SupplementRequired,
)
from services.legacy_sim.domain.numbers import seeded_random
from services.legacy_sim.domain.outputs import issue_outputs

REJECT_MARKER = "测试驳回"
SUPPLEMENT_MARKER = "测试补正"


# Each legacy system knows its own name; the simulator imports nothing from contracts/ (the
# unit tests check these against contracts/departments.py).
DEPARTMENT_NAMES = {
    "amr": "市场监督管理局",
    "tax": "税务局",
    "psb": "公安局",
    "hrss": "人力资源和社会保障局",
    "hpf": "住房公积金中心",
    "hcd": "住房和城乡建设局",
    "nrb": "自然资源和规划局",
    "water": "供水公司",
    "power": "供电公司",
    "gas": "燃气公司",
    "hhc": "卫生健康委员会",
    "mia": "医疗保障局",
}


def department_name(department: str) -> str:
    return DEPARTMENT_NAMES.get(department, department)


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _fields_marked(inputs: Mapping[str, object], marker: str) -> list[str]:
    return [name for name, value in inputs.items() if marker in _text(value)]


def decide(request: FilingRequest, required_materials: Mapping[str, str], today: date) -> Decision:
    """Decide one filing; the same request (same idempotency key) always gets the same answer."""
    dept = department_name(request.department)
    rejected = _fields_marked(request.inputs, REJECT_MARKER)
    if rejected:
        fields = "、".join(f"「{name}」" for name in rejected)
        return Rejected(reason=f"{dept}不予办理：字段{fields}的内容不符合办理条件")
    missing = [
        MissingMaterial(code, name, f"{dept}办理需要提交「{name}」，未收到该材料")
        for code, name in required_materials.items()
        if code not in request.materials
    ]
    missing += [
        MissingMaterial(field, field, f"{dept}：字段「{field}」的内容需要补正")
        for field in _fields_marked(request.inputs, SUPPLEMENT_MARKER)
    ]
    if missing:
        return SupplementRequired(materials=tuple(missing))
    rng = seeded_random(f"{request.department}:{request.idempotency_key}")
    return Completed(outputs=issue_outputs(rng, request, today))

"""Evidence (材料) OneWindow obtains itself, and what checking it finds: pure, no I/O.

Before the sub-tasks still to run are dispatched, every material they list that comes from a
register (`shared:<dataset>`) or from the e-certificate library (`e-certificate:<kind>`) is
obtained: from the library as it was when the application (or its supplement) came in, from
the registers by ONE lookup per round — one batch per register, only the records not held
yet, only the fields some input mapping or check uses. Then every record is checked against
the form. What cannot be fetched (a register down after retries, no key in the form, no
certificate and no register to fall back on) the applicant is asked to upload; a record
that differs from the form is a correction naming the form field; a record failing a
requirement (a deregistered company) refuses the application. All of it goes into ONE
supplement notice, attributed to the first sub-task still to run that lists the material.

The applicant's own identity is checked too, in the same lookup: the name the population
register holds for their ID number (a company's in the business registry for its credit
code). The applicant's details are not part of the form a supplement corrects, so a
difference refuses the application, naming `applicant.name`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.catalog import Material, Matter
from contracts.catalog.evidence import (
    IDENTITY,
    IDENTITY_FIELDS,
    RecordKey,
    field_title,
    listing,
    record_keys,
    register_fields,
)
from contracts.catalog.inputs import FormReference, form_values, parse_reference
from contracts.envelope import Event
from contracts.events import (
    DatasetAnswer,
    DatasetLookup,
    EvidenceChecked,
    MaterialObtained,
    MissingMaterial,
    Reason,
    RegisterLookupRequested,
    SupplementRequest,
    WantedRecord,
)
from contracts.registers import DATASETS, MAX_KEYS, WHOLE_APPLICATION
from services.router.domain.process import Fetched, Process, RecordId

IDENTITY_REGISTERS = {"person": "population", "company": "business-registry"}
UNAVAILABLE = "数据共享平台暂时无法提供，请上传该材料"
NO_KEY = "申请表未填写查询所需的信息，请上传该材料"
NOT_IN_LIBRARY = "电子证照库中没有该证照，请上传该材料"


def evidence_steps(process: Process, matter: Matter) -> list[Event]:
    """What the round needs next: a lookup of the records not held yet, or the check once
    everything is at hand. Nothing while a lookup is awaited, once the round is checked, or
    when no sub-task still to run lists a material OneWindow obtains itself."""
    evidence = process.evidence
    if evidence.checked or evidence.pending:
        return []
    needed, identity = _needed(process, matter), _identity(process, matter)
    if not needed and identity is None:
        return []
    if not evidence.looked_up:
        lookups = _lookups(process, matter, needed, identity)
        if lookups:
            return [
                RegisterLookupRequested(
                    lookup_key=f"{process.application_id}:lookup:{evidence.lookups + 1}",
                    matter=matter.code,
                    lookups=tuple(lookups),
                )
            ]
    return [_checked(process, matter, needed, identity)]


def clear(process: Process, matter: Matter) -> bool:
    """May sub-tasks be dispatched: the round is checked and asked for no corrections, or
    nothing still to run needs evidence."""
    evidence = process.evidence
    if evidence.checked:
        return not evidence.corrections
    needs = _needed(process, matter) or _identity(process, matter)
    return evidence.pending is None and not needs


def shared_values(process: Process, matter: Matter, subtask: str) -> dict[str, dict[str, Any]]:
    """The register fields of each material `subtask` lists, for `$shared.<material>.<field>`:
    one record's values, or a list per field for a material of several records (`*`). A
    material the applicant brought instead has none."""
    values: dict[str, dict[str, Any]] = {}
    for code in matter.subtask(subtask).materials:
        material = matter.material(code)
        dataset = material.register
        if dataset is None or code in process.materials:
            continue
        keys = record_keys(material, process.form)
        records = [process.evidence.records.get((dataset, k.key)) for k in keys]
        found = [r for r in records if r is not None and r.found]
        if not keys or len(found) != len(keys):
            continue
        if _several(material):
            names = {n for r in found for n in r.record}
            values[code] = {n: [r.record.get(n) for r in found] for n in names}
        else:
            values[code] = dict(found[0].record)
    return values


@dataclass(frozen=True)
class _Need:
    material: Material
    serves: tuple[str, ...]  # sub-tasks still to run that list it, in catalog order
    keys: tuple[RecordKey, ...]


def _needed(process: Process, matter: Matter) -> list[_Need]:
    needs = []
    for material in matter.materials:
        if not material.fetched:
            continue
        serves = tuple(
            s for s in listing(matter, material.code) if process.subtasks[s].status != "completed"
        )
        if serves:
            needs.append(_Need(material, serves, tuple(record_keys(material, process.form))))
    return needs


def _to_run(process: Process, matter: Matter) -> tuple[str, ...]:
    return tuple(s.code for s in matter.subtasks if process.subtasks[s.code].status != "completed")


def _identity(process: Process, matter: Matter) -> tuple[str, str] | None:
    """The register record of the applicant's identity, while sub-tasks are still to run."""
    dataset = IDENTITY_REGISTERS.get(process.applicant_kind or "")
    if dataset is None or not process.applicant_id or not _to_run(process, matter):
        return None
    return dataset, process.applicant_id


def _from_register(process: Process, need: _Need) -> str | None:
    """The register `need` is fetched from this round, None when it is not."""
    material = need.material
    if material.code in process.materials or not need.keys:
        return None
    kind = material.certificate_kind
    if kind and all((kind, k.key) in process.evidence.library for k in need.keys):
        return None
    return material.register


def _lookups(
    process: Process, matter: Matter, needed: list[_Need], identity: tuple[str, str] | None
) -> list[DatasetLookup]:
    wanted: dict[str, dict[str, set[str]]] = defaultdict(dict)
    materials: dict[str, dict[str, None]] = defaultdict(dict)
    subtasks: dict[str, dict[str, None]] = defaultdict(dict)

    def want(
        dataset: str, key: str, fields: frozenset[str], material: str, serves: tuple[str, ...]
    ) -> None:
        held = process.evidence.records.get((dataset, key))
        if held is None or not fields <= held.fields:
            wanted[dataset].setdefault(key, set()).update(fields)
            materials[dataset][material] = None
            subtasks[dataset].update(dict.fromkeys(serves))

    for need in needed:
        dataset = _from_register(process, need)
        if dataset is not None:
            fields = register_fields(matter, need.material)
            for key in need.keys:
                want(dataset, key.key, fields, need.material.code, need.serves)
    if identity is not None:
        want(*identity, IDENTITY_FIELDS, IDENTITY, _to_run(process, matter))
    lookups = []
    for dataset, records in wanted.items():
        serving = tuple(subtasks[dataset])
        purpose = serving[0] if len(serving) == 1 else WHOLE_APPLICATION
        keys = list(records.items())
        for start in range(0, len(keys), MAX_KEYS):
            lookups.append(
                DatasetLookup(
                    dataset=dataset,
                    purpose=purpose,
                    materials=tuple(materials[dataset]),
                    subtasks=serving,
                    records=tuple(
                        WantedRecord(key=k, fields=tuple(sorted(f)))
                        for k, f in keys[start : start + MAX_KEYS]
                    ),
                )
            )
    return lookups


@dataclass
class _Findings:
    corrections: dict[str, list[MissingMaterial]] = field(default_factory=lambda: defaultdict(list))
    refusals: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def ask(self, subtask: str, code: str, name: str, reason: str) -> None:
        asked = self.corrections[subtask]
        if all(m.code != code for m in asked):
            asked.append(MissingMaterial(code=code, name=name, reason=reason))


def _checked(
    process: Process, matter: Matter, needed: list[_Need], identity: tuple[str, str] | None
) -> EvidenceChecked:
    findings = _Findings()
    obtained = [_check(process, matter, need, findings) for need in needed]
    if identity is not None:
        _check_identity(process, _to_run(process, matter)[0], identity, findings)
    department = {s.code: s.department for s in matter.subtasks}
    order = [s.code for s in matter.subtasks]
    return EvidenceChecked(
        materials=tuple(obtained),
        supplements=tuple(
            SupplementRequest(subtask=s, department=department[s], materials=tuple(asked))
            for s, asked in sorted(findings.corrections.items(), key=lambda i: order.index(i[0]))
        ),
        refusals=tuple(
            Reason(subtask=s, department=department[s], reason="；".join(reasons))
            for s, reasons in sorted(findings.refusals.items(), key=lambda i: order.index(i[0]))
        ),
    )


def _check(process: Process, matter: Matter, need: _Need, findings: _Findings) -> MaterialObtained:
    material, first = need.material, need.serves[0]

    def brings(reason: str | None) -> MaterialObtained:
        if reason:
            findings.ask(first, material.code, material.name, reason)
        return MaterialObtained(material=material.code, via="applicant", subtasks=need.serves)

    if material.code in process.materials:
        return brings(None)  # handed in: the applicant brought it
    if not need.keys:
        return brings(NO_KEY)
    kind = material.certificate_kind
    if kind:
        certificates = [process.evidence.library.get((kind, k.key)) for k in need.keys]
        if all(certificates):
            return MaterialObtained(
                material=material.code,
                via="e-certificate",
                subtasks=need.serves,
                certificate=", ".join(c.number for c in certificates if c),
                holder=", ".join(k.key for k in need.keys),
            )
        if material.register is None:
            return brings(NOT_IN_LIBRARY)
    dataset = material.register
    assert dataset is not None  # a fetched material comes from the library or a register
    records = [process.evidence.records.get((dataset, k.key)) for k in need.keys]
    if dataset in process.evidence.unavailable or None in records:
        return brings(UNAVAILABLE)
    for key, record in zip(need.keys, records, strict=True):
        assert record is not None
        _compare(matter, process.form, material, key, record, first, findings)
    return MaterialObtained(
        material=material.code, via="register", dataset=dataset, subtasks=need.serves
    )


def _check_identity(
    process: Process, subtask: str, identity: tuple[str, str], findings: _Findings
) -> None:
    """The applicant's name against the register's record of their ID (or credit code). A
    register that could not be read leaves it unchecked: its materials are asked for instead."""
    dataset = identity[0]
    record = process.evidence.records.get(identity)
    if record is None or dataset in process.evidence.unavailable:
        return
    register = DATASETS[dataset].title
    if not record.found:
        findings.refusals[subtask].append(f"申请人（applicant.id_number）在{register}中查无此记录")
    elif not _same(record.record.get("name"), process.applicant_name):
        findings.refusals[subtask].append(
            f"申请人姓名（applicant.name）与{register}登记的不一致，请核对后重新申请"
        )


def _compare(
    matter: Matter, form: Mapping[str, Any], material: Material, key: RecordKey,
    record: Fetched, subtask: str, findings: _Findings,
) -> None:  # fmt: skip
    register = DATASETS[material.register or ""].title
    if not record.found:
        title = field_title(matter.form, key.at)
        findings.ask(subtask, key.at, title, f"{register}中查无此记录，请核对后更正")
        return
    for name, path in material.match.items():
        for at, expected in _paired(form, path, key):
            if not _same(record.record.get(name), expected):
                title = field_title(matter.form, at)
                reason = f"与{register}登记的信息不一致，请核对后更正"
                findings.ask(subtask, at, title, reason)
    for name, required in material.require.items():
        held = record.record.get(name)
        if not _same(held, required):
            findings.refusals[subtask].append(
                f"{material.name}：{register}登记的{name}为“{held}”，须为“{required}”，不予办理"
            )


def _paired(form: Mapping[str, Any], path: str, key: RecordKey) -> Iterable[tuple[str, Any]]:
    """The form's values at `path` that belong to the record read at `key` (same indices)."""
    reference = parse_reference(path)
    assert isinstance(reference, FormReference)  # checked when the catalog loads
    return [(f.at, f.value) for f in form_values(form, reference.path) if f.indices == key.indices]


def _same(held: Any, expected: Any) -> bool:
    numbers = (int, float)
    if isinstance(held, numbers) and isinstance(expected, numbers):
        if not isinstance(held, bool) and not isinstance(expected, bool):
            return float(held) == float(expected)
    return str(held).strip() == str(expected).strip()


def _several(material: Material) -> bool:
    reference = parse_reference(material.record or "")
    return isinstance(reference, FormReference) and bool(reference.each)


def recorded(
    records: Mapping[RecordId, Fetched],
    asked: Mapping[RecordId, frozenset[str]],
    answers: Iterable[DatasetAnswer],
) -> dict[RecordId, Fetched]:
    """The records held once `answers` (DatasetAnswers) came in for the lookup that `asked`."""
    held = dict(records)
    for answer in answers:
        if not answer.available:
            continue
        for fetched in answer.records:
            fields = asked.get((answer.dataset, fetched.key), frozenset())
            held[answer.dataset, fetched.key] = Fetched(fetched.found, dict(fetched.record), fields)
    return held

"""The data-sharing platform's pure parts: canonical JSON and digest, a register's answer with
and without a field selection, the lookup's validation, the ledger, and the data file's checks."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.legacy_sim.config import REGISTERS_FILE, DepartmentBehaviour
from services.legacy_sim.domain.lookup_ledger import LookupLedger
from services.legacy_sim.domain.register_records import DATASETS
from services.legacy_sim.domain.sharing import (
    REQUIRED,
    BadLookup,
    LookupRequest,
    Register,
    StoredRecord,
    canonical_json,
    parse_lookup,
    record_digest,
)
from services.legacy_sim.registers import RegisterDataError, build_registers, load_registers
from services.legacy_sim.sharing_platform import SharingPlatform

APP = "0190A3C4-0000-7000-8000-00000000000A"
PERSON = {"name": "陈思远", "gender": "男", "birth_date": "1990-03-07"}
LOOKUP = {
    "requester": "onewindow",
    "purpose": {"matter": "business-startup", "subtask": "*intake"},
    "application_id": APP,
    "keys": ["k-1"],
}


def register() -> Register:
    return Register(
        "population",
        PERSON,
        [
            StoredRecord(("k-1", "alias-1"), PERSON, "2021-04-12T02:15:00Z"),
            StoredRecord(("k-2",), {**PERSON, "name": "林晓燕"}, "2019-09-03T01:40:00Z"),
        ],
    )


def body(**changes: Any) -> bytes:
    return json.dumps({**LOOKUP, **changes}).encode()


# Canonical JSON and digest


def test_canonical_json_sorts_keys_at_every_depth_without_spaces_in_utf8() -> None:
    record = {"b": [{"z": 1, "a": "杭州"}], "a": 89.46, "c": None}
    assert canonical_json(record) == '{"a":89.46,"b":[{"a":"杭州","z":1}],"c":null}'.encode()


def test_digest_is_sha256_of_the_canonical_json() -> None:
    expected = hashlib.sha256(canonical_json(PERSON)).hexdigest()
    assert record_digest(PERSON) == f"sha256:{expected}"
    assert record_digest(dict(reversed(PERSON.items()))) == record_digest(PERSON)
    assert record_digest({**PERSON, "name": "陈思源"}) != record_digest(PERSON)


# A register's answer


def test_answer_has_one_entry_per_key_in_the_order_asked() -> None:
    answer = register().answer(["nope", "k-2", "k-1", "k-2"], None)
    assert [(a["key"], a["found"]) for a in answer] == [
        ("nope", False),
        ("k-2", True),
        ("k-1", True),
        ("k-2", True),
    ]
    assert answer[0] == {"key": "nope", "found": False}
    assert answer[2] == {
        "key": "k-1",
        "found": True,
        "record": PERSON,
        "version": "2021-04-12T02:15:00Z",
        "digest": record_digest(PERSON),
    }


def test_a_selection_carries_only_those_fields_and_the_digest_of_the_whole() -> None:
    whole = register().answer(["k-1"], None)[0]
    selected = register().answer(["k-1"], ("birth_date", "name"))[0]
    assert selected["record"] == {"birth_date": "1990-03-07", "name": "陈思远"}
    assert list(selected["record"]) == ["birth_date", "name"]
    assert selected["digest"] == whole["digest"] == record_digest(PERSON)
    assert register().answer(["k-1"], ())[0]["record"] == {}
    assert whole["record"] == PERSON  # the stored record is not touched by a selection


def test_another_key_of_a_record_finds_it_under_the_key_asked() -> None:
    by_alias = register().answer(["alias-1"], None)[0]
    assert by_alias["key"] == "alias-1" and by_alias["record"] == PERSON
    assert by_alias["digest"] == record_digest(PERSON)


def test_a_register_holds_a_key_once() -> None:
    with pytest.raises(ValueError, match="held twice"):
        Register("population", PERSON, [StoredRecord(("k", "k"), PERSON, "v")])


# The lookup's validation


def test_a_valid_lookup() -> None:
    lookup = parse_lookup(body(requester=" onewindow ", fields=["name", "name"]), PERSON)
    assert lookup == LookupRequest(
        requester="onewindow",
        matter="business-startup",
        subtask="*intake",
        application_id=APP.lower(),
        keys=("k-1",),
        fields=("name",),
    )
    assert parse_lookup(body(fields=None), PERSON).fields is None
    assert parse_lookup(body(extra="ignored"), PERSON).keys == ("k-1",)


def test_a_retry_of_the_same_lookup_has_the_same_identity() -> None:
    first = parse_lookup(body(), PERSON)
    assert parse_lookup(body(fields=["name"]), PERSON).identity == first.identity
    assert parse_lookup(body(keys=["k-2"]), PERSON).identity != first.identity
    assert parse_lookup(body(application_id=APP.lower()), PERSON).identity == first.identity


def refused(raw: bytes) -> BadLookup:
    with pytest.raises(BadLookup) as refusal:
        parse_lookup(raw, PERSON)
    return refusal.value


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"requester": None}, ["requester"]),
        ({"requester": "  "}, ["requester"]),
        ({"requester": 7}, ["requester"]),
        ({"requester": "x" * 201}, ["requester"]),
        ({"purpose": None}, ["purpose.matter", "purpose.subtask"]),
        ({"purpose": "business-startup"}, ["purpose.matter", "purpose.subtask"]),
        ({"purpose": {"matter": "business-startup"}}, ["purpose.subtask"]),
        ({"purpose": {"subtask": "", "matter": ["m"]}}, ["purpose.matter", "purpose.subtask"]),
        ({"application_id": "app-1"}, ["application_id"]),
        ({"application_id": 12}, ["application_id"]),
        ({"application_id": APP + "0"}, ["application_id"]),
        ({"keys": []}, ["keys"]),
        ({"keys": "k-1"}, ["keys"]),
        ({"keys": [f"k-{i}" for i in range(51)]}, ["keys"]),
        ({"keys": ["k-1", "", 3, " ", None]}, ["keys[1]", "keys[2]", "keys[3]", "keys[4]"]),
        ({"keys": ["x" * 201]}, ["keys[0]"]),
        ({"fields": "name"}, ["fields"]),
        ({"fields": ["name", 1]}, ["fields"]),
        ({"requester": "", "application_id": None, "keys": 0}, ["requester", *REQUIRED[3:]]),
    ],
)
def test_every_missing_or_malformed_field_is_named(
    changes: dict[str, Any], missing: list[str]
) -> None:
    refusal = refused(body(**changes))
    assert refusal.missing == missing
    assert all(path in str(refusal) for path in missing)


def test_without_a_field_the_lookup_is_refused() -> None:
    for path in ("requester", "purpose", "application_id", "keys"):
        partial = {k: v for k, v in LOOKUP.items() if k != path}
        assert refused(json.dumps(partial).encode()).missing[0].startswith(path)


def test_fifty_keys_are_enough() -> None:
    assert len(parse_lookup(body(keys=[f"k-{i}" for i in range(50)]), PERSON).keys) == 50


def test_unknown_fields_are_named() -> None:
    refusal = refused(body(fields=["name", "salary", "spouse", "salary"]))
    assert refusal.missing == ["fields"]
    assert refusal.unknown_fields == ["salary", "spouse"]
    assert "salary" in str(refusal) and "birth_date" in str(refusal)  # and what is known


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"\xff\xfe{}",
        b"[" * 100_000 + b"]" * 100_000,
        b"[]",
        b'"text"',
        b"null",
        b"NaN",
        body(keys=["\ud800"]),  # an escape naming half a character
        body(fields=["\udfff"]),
        body(requester="one\udbffwindow"),
        b'{"keys": ["\xed\xa0\x80"]}',  # the same half, UTF-8-encoded
    ],
)
def test_a_body_that_is_no_json_object_misses_everything(raw: bytes) -> None:
    refusal = refused(raw)
    assert refusal.missing == list(REQUIRED)
    assert "JSON" in str(refusal)


def test_a_whole_character_escaped_as_a_pair_and_a_bom_are_fine() -> None:
    lookup = parse_lookup(b"\xef\xbb\xbf" + body(keys=["\ud83d\ude00"]), PERSON)
    assert lookup.keys == ("\U0001f600",)
    assert parse_lookup(body(keys=["\\ud800"]), PERSON).keys == ("\\ud800",)  # no escape


# The ledger of lookups


def test_the_ledger_keeps_the_newest_and_counts_the_dropped() -> None:
    ledger = LookupLedger(limit=2)
    lookup = parse_lookup(body(), PERSON)
    other = parse_lookup(body(application_id="0190a3c4-0000-7000-8000-00000000000b"), PERSON)
    now = datetime.now(UTC)
    ledger.write(now, "population", lookup, 500)
    ledger.write(now, "population", other, 200, ("k-1",))
    ledger.write(now, "tax-filings", lookup, 200, (), stalled=True)
    assert [e.seq for e in ledger.entries()] == [2, 3]
    assert ledger.dropped == 1
    assert [e.seq for e in ledger.entries(application_id=APP.lower())] == [3]
    assert [e.seq for e in ledger.entries(dataset="population")] == [2]
    ledger.clear()
    assert ledger.entries() == [] and ledger.dropped == 0


# The platform's state


def platform() -> SharingPlatform:
    return SharingPlatform(
        {"population": register()}, {"population": DepartmentBehaviour()}, "secret", 10
    )


@pytest.mark.parametrize(
    ("header", "authorised"),
    [
        ("Bearer secret", True),
        ("bearer secret", True),
        ("Bearer  secret ", True),
        ("Bearer secre", False),
        ("Bearer secret2", False),
        ("Basic secret", False),
        ("secret", False),
        ("Bearer 密钥", False),
        ("", False),
        (None, False),
    ],
)
def test_only_the_bearer_token_is_authorised(header: str | None, authorised: bool) -> None:
    assert platform().authorised(header) is authorised


def test_attempts_are_counted_only_while_the_first_ones_fail() -> None:
    sharing = platform()
    assert sharing.attempt("population", "lookup-1") is None
    sharing.behaviours.configure("population", {"fail_first": 2})
    assert [sharing.attempt("population", "lookup-1") for _ in range(3)] == [1, 2, 3]
    assert sharing.attempt("population", "lookup-2") == 1
    sharing.reset()
    assert sharing.behaviour("population").fail_first == 0
    sharing.behaviours.configure("population", {"fail_first": 2})
    assert sharing.attempt("population", "lookup-1") == 1


# The data file


def seeded() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(REGISTERS_FILE.read_text(encoding="utf-8"))
    return data


def test_the_seeded_registers_load_with_every_dataset() -> None:
    registers = load_registers(REGISTERS_FILE)
    assert set(registers) == set(DATASETS)
    assert all(len(r) > 0 for r in registers.values())


def broken(change: Any) -> str:
    data = copy.deepcopy(seeded())
    change(data["datasets"])
    with pytest.raises(RegisterDataError) as refusal:
        build_registers(data, "registers.yaml")
    return str(refusal.value)


DROP = object()


def setting(path: str, value: Any) -> Any:
    """A change of the data file's ``datasets``: the value at a dotted path (list indexes as
    numbers) set, or dropped."""

    def change(datasets: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = datasets
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is DROP:
            del node[last]
        else:
            node[last] = value

    return change


PERSON_0 = "population.0"
TWICE = "held more than once"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (setting("tax-filings", DROP), "'tax-filings' is missing"),
        (setting("real-estate-registry", []), "'real-estate-registry' is not a dataset"),
        (setting(f"{PERSON_0}.key", "330106199003071237"), "valid check"),
        (setting("business-registry.0.key", "91330106MA2H3K7P1F"), "valid check"),
        (setting("property-register.0.key", "浙2016-0087654"), "certificate number"),
        (setting(f"{PERSON_0}.record.salary", 1), "salary: Extra inputs"),
        (setting(f"{PERSON_0}.record.ethnicity", DROP), "ethnicity: Field required"),
        (setting(f"{PERSON_0}.record.gender", "女"), "gender differs"),
        (setting(f"{PERSON_0}.record.birth_date", "1990-03-08"), "birth_date differs"),
        (setting(f"{PERSON_0}.version", "2021-04-12T02:15:00"), "timezone"),
        (setting(f"{PERSON_0}.when", "now"), "when: Extra inputs"),
        (setting("population.1.key", "330106199003071236"), TWICE),
        (setting("housing-contracts.0.also_keys", ["HZ2024CL0012345"]), TWICE),
        (setting("property-register.0.record.owners.0.share", 60), "add up to 100"),
        (setting("tax-filings.0.record.arrears", -1), "finite number"),
        (setting("tax-filings.0.record.arrears", True), "arrears"),
        (setting("tax-filings.0.record.arrears", "0"), "arrears"),
        (setting("business-registry.0.record.status", "closed"), "status"),
        (setting("marriage-registry.0.record.spouse_name", None), "exactly when married"),
        (setting("marriage-registry.5.record.registered_on", "2020-01-01"), "null exactly"),
    ],
)
def test_a_data_file_that_breaks_a_rule_is_refused_naming_it(change: Any, reason: str) -> None:
    assert reason in broken(change)


def test_every_problem_of_a_data_file_is_listed_at_once() -> None:
    def two(datasets: dict[str, Any]) -> None:
        setting(f"{PERSON_0}.record.name", "")(datasets)
        setting("birth-medical-record.0.record.hospital", None)(datasets)

    message = broken(two)
    assert "datasets.population[0]: record.name" in message
    assert "datasets.birth-medical-record[0]: record.hospital" in message


def test_a_whole_number_stays_whole_and_a_decimal_stays_decimal() -> None:
    registers = load_registers(REGISTERS_FILE)
    company = registers["business-registry"].answer(["91330106MA2H3K7P1E"], None)[0]
    flat = registers["property-register"].answer(["浙（2016）杭州市不动产权第0087654号"], None)[0]
    assert '"registered_capital":100,' in canonical_json(company["record"]).decode()
    assert '"area":89.46,' in canonical_json(flat["record"]).decode()


# docs/legacy-protocols.md is the contract for a register plugging in: held to the code and data

DOC = (Path(__file__).parents[2] / "docs" / "legacy-protocols.md").read_text(encoding="utf-8")


def test_the_documented_datasets_and_fields_are_the_codes() -> None:
    rows = {
        line.split("`")[1]: line
        for line in DOC[DOC.index("### Datasets") : DOC.index("### Seeded records")].splitlines()
        if line.startswith("| `")
    }
    assert set(rows) == set(DATASETS)
    for name, dataset in DATASETS.items():
        fields_column = rows[name].split(" | ")[-1]
        named = set(fields_column.split("`")[1::2])
        assert set(dataset.fields) <= named, name


def test_the_documented_records_are_the_seeded_ones() -> None:
    registers = load_registers(REGISTERS_FILE)
    seeded = DOC[DOC.index("### Seeded records") : DOC.index("### Controls and ledger")]
    held = {key for register in registers.values() for key in register.keys()}
    rows = [line for line in seeded.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == 19  # 11 of the examples, 8 deliberate
    for row in rows:
        keys = [k for k in row.split("`")[1::2] if k[:1].isdigit() or k[:1] in "浙H9"]
        unknown = row.startswith("| unknown")
        for key in keys:
            assert (key in held) is not unknown, key
    assert "330106199003071551" in seeded and "陈思源" in seeded

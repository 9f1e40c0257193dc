"""The catalog of matters: the shipped data, form validation, input mapping, start-up checks."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.catalog import (
    EXAMPLES_DIR,
    CatalogError,
    FormError,
    Matter,
    MissingUpstreamOutput,
    UnknownMatter,
    load_catalog,
    resolve_inputs,
)

DEPARTMENT_ORDER = {
    "business-startup": [["amr"], ["psb", "tax", "hrss", "hpf"]],
    "housing-transfer": [["hcd"], ["tax"], ["nrb"], ["water", "power", "gas"]],
    "equity-transfer": [["tax"], ["tax"], ["amr"]],
    "business-info-change": [["amr"], ["psb", "tax"]],
    "newborn": [["hhc"], ["psb"], ["mia", "hrss"]],
}
CATALOG = load_catalog()


def example(matter: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES_DIR / f"{matter}.json").read_text("utf-8"))
    return loaded


def test_the_shipped_catalog_has_the_five_matters_in_the_designed_department_order() -> None:
    assert set(CATALOG.matters) == set(DEPARTMENT_ORDER)
    for code, order in DEPARTMENT_ORDER.items():
        stages = CATALOG.matter(code).stages()
        assert [sorted(s.department for s in stage) for stage in stages] == [
            sorted(wave) for wave in order
        ], code


def test_business_startup_fans_out_the_credit_code_of_the_licence() -> None:
    matter = CATALOG.matter("business-startup")
    assert matter.promised_days == 1
    assert [s.code for s in matter.roots()] == ["amr-licence"]
    for subtask in matter.subtasks[1:]:
        assert subtask.inputs["credit_code"] == "$outputs.amr-licence.credit_code"


def test_spared_materials_come_by_data_sharing_or_are_generated() -> None:
    matter = CATALOG.matter("housing-transfer")
    brings, spared = matter.materials_the_applicant_brings(), matter.materials_spared()
    assert {m.code for m in brings} | {m.code for m in spared} == {m.code for m in matter.materials}
    assert all(m.source == "applicant" for m in brings)
    assert matter.material("property-certificate").shared_dataset == "property-register"
    assert "property-certificate" in {m.code for m in spared}


def test_unknown_matter_lists_the_valid_codes() -> None:
    with pytest.raises(UnknownMatter, match="business-startup, equity-transfer") as caught:
        CATALOG.matter("open-a-shop")
    assert caught.value.valid_codes == sorted(DEPARTMENT_ORDER)


@pytest.mark.parametrize("code", sorted(DEPARTMENT_ORDER))
def test_each_example_application_is_valid_and_feeds_every_subtask(code: str) -> None:
    matter, filed = CATALOG.matter(code), example(code)
    assert filed["matter"] == code
    assert matter.validate_form(filed["form"]) == []
    outputs: dict[str, dict[str, Any]] = {}
    for stage in matter.stages():
        for subtask in stage:
            department_input = resolve_inputs(subtask, filed["form"], outputs)
            assert set(department_input) <= set(subtask.inputs)
            outputs[subtask.code] = {field: f"{subtask.code}:{field}" for field in subtask.outputs}


def test_a_bad_check_digit_names_the_field_and_the_format_rule() -> None:
    form = example("business-startup")["form"]
    number = form["legal_person"]["id_number"]
    form["legal_person"]["id_number"] = number[:17] + ("0" if number[17] != "0" else "1")
    assert CATALOG.matter("business-startup").validate_form(form) == [
        FormError(
            field="legal_person.id_number",
            rule="format",
            message="校验位错误 / check digit does not match",
        )
    ]


def test_form_errors_name_nested_missing_extra_and_out_of_range_fields() -> None:
    form = example("business-startup")["form"]
    del form["company"]["name"]
    form["company"]["registered_capital"] = 0
    form["shareholders"][1]["nickname"] = "小林"
    form["liaison"]["mobile"] = "12345"
    errors = {(e.field, e.rule) for e in CATALOG.matter("business-startup").validate_form(form)}
    assert errors == {
        ("company.name", "required"),
        ("company.registered_capital", "exclusiveMinimum"),
        ("shareholders.1.nickname", "additionalProperties"),
        ("liaison.mobile", "format"),
    }


def test_resolve_inputs_maps_form_fields_upstream_outputs_and_literals() -> None:
    matter = CATALOG.matter("business-startup")
    form = example("business-startup")["form"]
    licence = {"credit_code": "91330106MA2H3K7P1E", "company_name": "杭州一窗科技有限公司"}
    seal = resolve_inputs(matter.subtask("psb-seal"), form, {"amr-licence": licence})
    assert seal["credit_code"] == "91330106MA2H3K7P1E"
    assert seal["seal_kinds"] == form["seal"]["kinds"]
    licensing = resolve_inputs(matter.subtask("amr-licence"), form, {})
    assert licensing["registration_type"] == "设立登记"


def test_an_optional_form_field_left_empty_is_left_out_of_the_input() -> None:
    matter = CATALOG.matter("newborn")
    form = example("newborn")["form"]
    del form["social_card"]["delivery_address"]
    upstream = {"psb-household-registration": {"citizen_id_number": "330105202410180027"}}
    department_input = resolve_inputs(matter.subtask("hrss-social-card"), form, upstream)
    assert "delivery_address" not in department_input
    assert department_input["citizen_id_number"] == "330105202410180027"


def test_a_missing_upstream_output_is_a_clear_error() -> None:
    matter = CATALOG.matter("housing-transfer")
    form = example("housing-transfer")["form"]
    with pytest.raises(MissingUpstreamOutput, match="real_estate_certificate_number") as caught:
        resolve_inputs(matter.subtask("gas-transfer"), form, {"nrb-transfer-registration": {}})
    assert caught.value.upstream == "nrb-transfer-registration"


# --- start-up checks, each on a small catalog written to tmp_path --------------------------------

MINI: dict[str, Any] = {
    "code": "mini",
    "name": "小事项",
    "description": "测试用事项",
    "promised_days": 1,
    "statutory_days": 2,
    "form": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "title": "名称", "description": "名称"},
            "owner": {
                "type": "object",
                "properties": {"id_number": {"type": "string", "format": "cn-resident-id"},
                               "name": {"type": "string"}},
            },
        },
    },
    "materials": [
        {"code": "id-card", "name": "身份证", "source": "shared:population", "key": True,
         "record": "$form.owner.id_number", "match": {"name": "$form.owner.name"}},
    ],
    "subtasks": [
        {"code": "a", "department": "amr", "title": "甲", "time_limit_days": 1,
         "inputs": {"name": "$form.name", "owner": "$form.owner.id_number"},
         "outputs": ["credit_code"], "materials": ["id-card"]},
        {"code": "b", "department": "tax", "title": "乙", "time_limit_days": 1, "requires": ["a"],
         "inputs": {"credit_code": "$outputs.a.credit_code"}, "outputs": ["receipt"]},
        {"code": "c", "department": "psb", "title": "丙", "time_limit_days": 1, "requires": ["a"]},
    ],
}  # fmt: skip

Change = Callable[[dict[str, Any]], None]


def subtask(matter: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in matter["subtasks"] if s["code"] == code)
    return found


def write(folder: Path, matter: dict[str, Any], name: str = "mini.yaml") -> None:
    (folder / name).write_text(yaml.safe_dump(matter, allow_unicode=True), encoding="utf-8")


def test_the_mini_catalog_loads(tmp_path: Path) -> None:
    write(tmp_path, MINI)
    matter: Matter = load_catalog(tmp_path).matter("mini")
    assert matter.prerequisites("b") == {"a"}


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda m: subtask(m, "a").update(requires=["b"]),
         "subtasks[a].requires", "dependency cycle a → b → a"),
        (lambda m: subtask(m, "b").update(department="police"),
         "subtasks[b].department", "unknown department 'police'"),
        (lambda m: subtask(m, "c").update(requires=["z"]),
         "subtasks[c].requires", "unknown sub-task 'z'"),
        (lambda m: subtask(m, "c").update(inputs={"code": "$outputs.z.credit_code"}),
         "subtasks[c].inputs.code", "no sub-task 'z'"),
        (lambda m: subtask(m, "c").update(inputs={"receipt": "$outputs.b.receipt"}),
         "subtasks[c].inputs.receipt", "'b' is not a prerequisite of 'c'"),
        (lambda m: subtask(m, "b").update(inputs={"licence": "$outputs.a.licence"}),
         "subtasks[b].inputs.licence", "'a' declares no output 'licence'"),
        (lambda m: subtask(m, "a").update(inputs={"name": "$form.nmae"}),
         "subtasks[a].inputs.name", "the form schema has no property at that path"),
        (lambda m: subtask(m, "a").update(inputs={"id": "$form.owner.id"}),
         "subtasks[a].inputs.id", "'$form.owner.id': the form schema has no property"),
        (lambda m: subtask(m, "a").update(inputs={"code": "$outputs.a"}),
         "subtasks[a].inputs.code", "none of $form.<path>, $outputs.<subtask>.<field>"),
        (lambda m: subtask(m, "a").update(inputs={"born": "$shared.id-card.born_on"}),
         "subtasks[a].inputs.born", "register 'population' has no field 'born_on'"),
        (lambda m: subtask(m, "b").update(inputs={"born": "$shared.id-card.birth_date"}),
         "subtasks[b].inputs.born", "'id-card' is not among the sub-task's materials"),
        (lambda m: subtask(m, "a").update(inputs={"born": "$shared.deed.birth_date"}),
         "subtasks[a].inputs.born", "no material 'deed'"),
        (lambda m: m["materials"][0].pop("record"),
         "materials[id-card].record", "names its record's key"),
        (lambda m: m["materials"][0].update(record="$form.owner.passport"),
         "materials[id-card].record", "the form schema has no property"),
        (lambda m: m["materials"][0].update(record="$outputs.a.credit_code"),
         "materials[id-card].record", "is not a prerequisite here"),
        (lambda m: m["materials"][0].update(match={"nickname": "$form.owner.name"}),
         "materials[id-card].match.nickname", "register 'population' has no field 'nickname'"),
        (lambda m: m["materials"][0].update(require={"status": "active"}),
         "materials[id-card].require.status", "register 'population' has no field 'status'"),
        (lambda m: m["materials"][0].update(source="shared:passports"),
         "materials[id-card].source", "unknown register 'passports'"),
        (lambda m: m["materials"][0].update(source="applicant"),
         "materials[id-card].record", "only for a material fetched"),
        (lambda m: subtask(m, "a").update(materials=[]),
         "materials[id-card].code", "no sub-task lists it"),
        (lambda m: m["materials"][0].update(source="e-certificate:id-card", match={}),
         "materials[id-card].source", "no matter issues a certificate of kind 'id-card'"),
        (lambda m: subtask(m, "a").update(certificate={
            "title": "执照", "number": "credit_code", "kind": "licence",
            "holder": "$outputs.b.receipt", "holder_name": "$form.name"}),
         "subtasks[a].certificate.holder", "'b' is not a prerequisite of 'a'"),
        (lambda m: subtask(m, "a").update(certificate={
            "title": "执照", "number": "credit_code", "kind": "licence",
            "holder": "$outputs.a.credit_code", "holder_name": "$form.nickname"}),
         "subtasks[a].certificate.holder_name", "the form schema has no property"),
        (lambda m: subtask(m, "c").update(materials=["deed"]),
         "subtasks[c].materials", "material 'deed' is not declared"),
        (lambda m: m["form"]["properties"]["name"].update(type="text"),
         "form.properties.name.type", "not a valid JSON Schema"),
        (lambda m: m["form"]["properties"]["name"].update(format="cn-passport"),
         "form.properties.name.format", "unknown format 'cn-passport'"),
        (lambda m: m["subtasks"].append(copy.deepcopy(subtask(m, "c"))),
         "subtasks[c].code", "duplicate code 'c'"),
        (lambda m: m["materials"].append(copy.deepcopy(m["materials"][0])),
         "materials[id-card].code", "duplicate code 'id-card'"),
        (lambda m: subtask(m, "b").update(time_limit_days="soon"),
         "subtasks[b].time_limit_days", "valid integer"),
        (lambda m: subtask(m, "b").update(deadline=3),
         "subtasks[b].deadline", "Extra inputs are not permitted"),
        (lambda m: m["materials"][0].update(source="the applicant"),
         "materials[id-card].source", "should match pattern"),
        (lambda m: m.update(promised_days=5),
         "promised_days", "exceeds statutory_days (2)"),
    ],
)  # fmt: skip
def test_a_broken_matter_is_refused_naming_file_matter_and_field(
    tmp_path: Path, change: Change, field: str, reason: str
) -> None:
    broken = copy.deepcopy(MINI)
    change(broken)
    write(tmp_path, broken)
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)
    assert (caught.value.matter, caught.value.field) == ("mini", field)
    assert str(caught.value).startswith(f"mini.yaml: matter 'mini', field {field}: ")
    assert reason in str(caught.value)


def test_the_mini_catalog_with_a_licence_from_the_library_loads(tmp_path: Path) -> None:
    licensed = copy.deepcopy(MINI)
    subtask(licensed, "a")["certificate"] = {
        "title": "执照", "number": "credit_code", "kind": "licence",
        "holder": "$outputs.a.credit_code", "holder_name": "$form.name", "replaces": True,
    }  # fmt: skip
    licensed["materials"].append(
        {"code": "licence", "name": "执照", "source": "e-certificate:licence", "key": True,
         "record": "$form.owner.id_number", "fallback": "shared:business-registry"}
    )  # fmt: skip
    subtask(licensed, "b")["materials"] = ["licence"]
    write(tmp_path, licensed)
    matter = load_catalog(tmp_path).matter("mini")
    assert matter.material("licence").register == "business-registry"
    assert matter.material("licence").certificate_kind == "licence"


def test_a_matter_code_declared_twice_is_refused(tmp_path: Path) -> None:
    write(tmp_path, MINI, "first.yaml")
    write(tmp_path, MINI, "second.yaml")
    with pytest.raises(CatalogError, match=r"second\.yaml: matter 'mini', field code: duplicate"):
        load_catalog(tmp_path)


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("code: mini\nname: [unclosed\n", "(yaml)", "not valid YAML"),
        ("code: mini\ncode: other\n", "(yaml)", "duplicate key 'code'"),
        ("- just a list\n", "(document)", "must be a mapping"),
    ],
)
def test_a_file_that_is_not_a_matter_document_is_refused(
    tmp_path: Path, text: str, field: str, reason: str
) -> None:
    (tmp_path / "mini.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=reason) as caught:
        load_catalog(tmp_path)
    assert (caught.value.source, caught.value.matter, caught.value.field) == (
        "mini.yaml",
        "mini",
        field,
    )


def test_an_empty_catalog_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no matter"):
        load_catalog(tmp_path)

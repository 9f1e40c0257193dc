"""The published contracts (contracts/schemas, contracts/asyncapi) match the code and hold up:
valid JSON Schema, every example valid, every AsyncAPI reference resolving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.routing import APIRoute
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from typer.testing import CliRunner

from contracts import registry
from contracts.checkpoint import SignedCheckpoint
from contracts.commands import COMMANDS, Command
from contracts.kafka import (
    DEAD_LETTER_HEADERS,
    HEADERS,
    MalformedMessage,
    dead_letter_headers,
    from_kafka,
    to_kafka,
)
from contracts.publish import CONTRACTS, differences, render
from contracts.publish.checkpoints import EXAMPLE_PUBLIC_KEY
from contracts.publish.examples import COMMAND_EXAMPLES, EXAMPLES, example_envelope
from contracts.publish.schemas import PublishedEvent, published_events, topic_of
from contracts.topics import CHECKPOINTS, DEAD_LETTER, tasks_topic, topic_for
from eventlog.signing import load_public_keys, signature_problem
from onewindow.cli import app
from onewindow.commands.contracts import published_services

FIX = "run `onewindow contracts generate` and commit contracts/schemas and contracts/asyncapi"


@pytest.fixture(scope="module")
def services() -> list[Any]:
    return published_services()


@pytest.fixture(scope="module")
def files(services: list[Any]) -> dict[str, str]:
    return render(services)


@pytest.fixture(scope="module")
def schemas(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {
        path.removeprefix("schemas/"): json.loads(text)
        for path, text in files.items()
        if path.startswith("schemas/")
    }


def _validator(schema: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> Draft202012Validator:
    resources = [(s["$id"], Resource.from_contents(s)) for s in schemas.values()]
    return Draft202012Validator(
        schema,
        registry=Registry().with_resources(resources),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def test_checked_in_files_match_the_code(files: dict[str, str]) -> None:
    assert differences(CONTRACTS, files) == [], FIX


def test_check_lists_changed_missing_and_stray_files(tmp_path: Path) -> None:
    cli = CliRunner()
    assert cli.invoke(app, ["contracts", "generate", "--root", str(tmp_path)]).exit_code == 0
    assert cli.invoke(app, ["contracts", "check", "--root", str(tmp_path)]).exit_code == 0
    (tmp_path / "schemas/SubtaskDispatched.v1.json").write_text("{}\n")
    (tmp_path / "asyncapi/router.yaml").unlink()
    (tmp_path / "schemas/Gone.v1.json").write_text("{}\n")

    checked = cli.invoke(app, ["contracts", "check", "--root", str(tmp_path)])

    assert checked.exit_code == 1
    assert checked.stdout.splitlines() == [
        "differs: asyncapi/router.yaml",
        "differs: schemas/Gone.v1.json",
        "differs: schemas/SubtaskDispatched.v1.json",
    ]
    cli.invoke(app, ["contracts", "generate", "--root", str(tmp_path)])
    assert not (tmp_path / "schemas/Gone.v1.json").exists()
    assert cli.invoke(app, ["contracts", "check", "--root", str(tmp_path)]).exit_code == 0


def test_a_schema_per_published_event_and_none_for_private_ones(
    schemas: dict[str, dict[str, Any]],
) -> None:
    published = {e.file for e in published_events()}
    commands = {f"commands/{c.__name__}.json" for c in COMMANDS}
    headers = {"envelope.json", "kafka-headers.json", "dead-letter-headers.json"}
    assert set(schemas) == published | commands | headers | {"checkpoint.json"}
    private = {t for t, v in registry.registered() if topic_of(t, v) is None}
    assert "ResultIgnored" in private  # services' own events are registered too by now
    assert not {name.split(".")[0] for name in schemas} & private


@pytest.mark.parametrize("name", sorted({e.file for e in published_events()} | {"envelope.json"}))
def test_every_schema_is_valid_draft_2020_12(name: str, schemas: dict[str, dict[str, Any]]) -> None:
    schema = schemas[name]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/" + name)
    assert schema["title"] and schema["description"]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
def test_every_command_has_a_valid_schema_its_example_fits(
    command: type[Command], schemas: dict[str, dict[str, Any]]
) -> None:
    schema = schemas[f"commands/{command.__name__}.json"]
    Draft202012Validator.check_schema(schema)
    assert command.route in schema["description"]
    example = COMMAND_EXAMPLES.get(command)
    assert example is not None, (
        f"add an example of {command.__name__} to contracts/publish/examples.py"
    )
    body = example.model_dump(mode="json", exclude_defaults=True)
    _validator(schema, schemas).validate(body)
    assert command.model_validate(body) == example
    with pytest.raises(ValidationError, match="Additional properties"):
        _validator(schema, schemas).validate({**body, "unexpected": 1})


def test_intake_takes_each_command_at_its_route_and_no_other_body(services: list[Any]) -> None:
    intake = next(s for s in services if s.name == "intake")
    bodies = {
        f"{method} {route.path}": route.body_field.field_info.annotation
        for router in intake.routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.body_field is not None
        for method in route.methods
    }
    assert bodies == {command.route: command for command in COMMANDS}


def test_the_headers_schema_is_valid(schemas: dict[str, dict[str, Any]]) -> None:
    Draft202012Validator.check_schema(schemas["kafka-headers.json"])


@pytest.mark.parametrize("event", published_events(), ids=lambda e: e.event_type)
def test_the_example_of_every_event_fits_its_schema(
    event: PublishedEvent, schemas: dict[str, dict[str, Any]]
) -> None:
    example = EXAMPLES.get((event.event_type, event.schema_version))
    assert example is not None, (
        f"add an example of {event.event_type} to contracts/publish/examples.py"
    )
    payload = example.model_dump(mode="json")
    schema = schemas[event.file]
    _validator(schema, schemas).validate(payload)
    assert schema["examples"] == [payload]
    with pytest.raises(ValidationError, match="Additional properties"):
        _validator(schema, schemas).validate({**payload, "unexpected": 1})
    for field in schema["required"]:
        with pytest.raises(ValidationError, match=f"'{field}' is a required property"):
            _validator(schema, schemas).validate({k: v for k, v in payload.items() if k != field})


@pytest.mark.parametrize("event", published_events(), ids=lambda e: e.event_type)
def test_one_schema_serves_readers_and_writers(event: PublishedEvent) -> None:
    """Generated in serialization mode; today it equals the validation schema, so the file
    describes both what OneWindow writes and what it accepts from a department."""
    assert event.model.model_json_schema(mode="serialization") == event.model.model_json_schema(
        mode="validation"
    )


def test_the_envelope_and_headers_of_a_record_fit_their_schemas(
    schemas: dict[str, dict[str, Any]],
) -> None:
    envelope = example_envelope(EXAMPLES[("SubtaskCompleted", 1)], "legacy-psb")
    _validator(schemas["envelope.json"], schemas).validate(envelope.model_dump(mode="json"))
    _, _, headers = to_kafka(envelope)
    _validator(schemas["kafka-headers.json"], schemas).validate(
        {name: raw.decode() for name, raw in headers}
    )


@pytest.mark.parametrize("header", HEADERS)
def test_required_headers_are_those_from_kafka_requires(
    header: str, schemas: dict[str, dict[str, Any]]
) -> None:
    key, value, headers = to_kafka(example_envelope(EXAMPLES[("SubtaskCompleted", 1)], "x"))
    without = [(name, raw) for name, raw in headers if name != header]
    if header in schemas["kafka-headers.json"]["required"]:
        with pytest.raises(MalformedMessage):
            from_kafka(key, value, without)
    else:
        from_kafka(key, value, without)


@pytest.fixture(scope="module")
def documents(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {
        path.removeprefix("asyncapi/").removesuffix(".yaml"): yaml.safe_load(text)
        for path, text in files.items()
        if path.startswith("asyncapi/")
    }


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _pointer(document: Any, pointer: str) -> Any:
    for part in pointer.lstrip("/").split("/"):
        document = document[part.replace("~1", "/").replace("~0", "~")]
    return document


def test_an_asyncapi_document_per_service(documents: dict[str, dict[str, Any]]) -> None:
    assert set(documents) == {"intake", "router", "dept_adapter", "notifier"}
    for name, document in documents.items():
        assert document["asyncapi"] == "3.0.0"
        assert document["info"]["title"] == f"OneWindow {name}"
        assert document["info"]["version"]


def test_every_reference_resolves(documents: dict[str, dict[str, Any]]) -> None:
    for name, document in documents.items():
        for ref in _refs(document):
            target, _, pointer = ref.partition("#")
            if target:
                path = (CONTRACTS / "asyncapi" / target).resolve()
                assert path.is_file(), f"{name}: {ref} names no file"
                if pointer:
                    _pointer(json.loads(path.read_text()), pointer)
            else:
                _pointer(document, pointer)


def test_operations_follow_the_service_definitions(
    documents: dict[str, dict[str, Any]], services: list[Any]
) -> None:
    for service in services:
        document = documents[service.name]
        operations = document["operations"].values()
        sent = {_address(document, op) for op in operations if op["action"] == "send"}
        received = {_address(document, op) for op in operations if op["action"] == "receive"}
        dead_letters = [DEAD_LETTER] if service.consumers else []
        assert sent == _templated([*service.publishes_to, *dead_letters, CHECKPOINTS], document)
        assert received == _templated([t for c in service.consumers for t in c.topics], document)
        for op in operations:
            for message in op["messages"]:
                assert message["$ref"].startswith(op["channel"]["$ref"] + "/messages/")


def _address(document: dict[str, Any], operation: dict[str, Any]) -> str:
    return str(_pointer(document, operation["channel"]["$ref"].removeprefix("#"))["address"])


def _templated(topics: Any, document: dict[str, Any]) -> set[str]:
    """The addresses of the channels covering these topics; a department must be listed."""
    return {_covering(topic, document) for topic in topics}


def _covering(topic: str, document: dict[str, Any]) -> str:
    for channel in document["channels"].values():
        departments = channel.get("parameters", {}).get("department", {}).get("enum", [])
        concrete = [channel["address"].format(department=d) for d in departments]
        if topic in [channel["address"], *concrete]:
            return str(channel["address"])
    raise AssertionError(f"no channel for {topic}")


def test_who_reads_the_task_topics(documents: dict[str, dict[str, Any]]) -> None:
    """psb's own system reads onewindow.tasks.psb: dept_adapter does not, router sends to it."""
    adapter = documents["dept_adapter"]["channels"]["tasks"]["parameters"]["department"]["enum"]
    router = documents["router"]["channels"]["tasks"]["parameters"]["department"]["enum"]
    assert "psb" in router and "psb" not in adapter
    example = example_envelope(EXAMPLES[("SubtaskDispatched", 1)], "router")
    assert topic_for(example) == tasks_topic("amr")


def test_message_examples_fit_their_schemas(
    documents: dict[str, dict[str, Any]], schemas: dict[str, dict[str, Any]]
) -> None:
    for document in documents.values():
        for message in document["components"]["messages"].values():
            for example in message["examples"]:
                if message["name"] == "SignedCheckpoint":  # no headers: the value says it all
                    assert "headers" not in message
                    payload = schemas[message["payload"]["$ref"].removeprefix("../schemas/")]
                    _validator(payload, schemas).validate(example["payload"])
                    continue
                headers = schemas[message["headers"]["$ref"].removeprefix("../schemas/")]
                _validator(headers, schemas).validate(example["headers"])
                if message["name"] == "DeadLetter":  # the record as it was: here an event
                    event_type = example["headers"]["event_type"]
                    payload = schemas[f"{event_type}.v{example['headers']['schema_version']}.json"]
                else:
                    payload = schemas[message["payload"]["$ref"].removeprefix("../schemas/")]
                    assert example["headers"]["event_type"] == message["name"]
                _validator(payload, schemas).validate(example["payload"])


def test_dead_letters_carry_the_headers_the_contract_names(
    schemas: dict[str, dict[str, Any]],
) -> None:
    _, _, headers = to_kafka(example_envelope(EXAMPLES[("SubtaskCompleted", 1)], "x"))
    sent = dead_letter_headers(
        headers, "names nothing it has", "onewindow.task-results/2/1187", "router.process", 3
    )
    as_text = {name: raw.decode() for name, raw in sent}
    _validator(schemas["dead-letter-headers.json"], schemas).validate(as_text)
    added = [name for name, _ in sent[len(headers) :]]
    assert added == list(DEAD_LETTER_HEADERS)
    assert as_text["dead_letter_source"] == "onewindow.task-results/2/1187"
    assert as_text["dead_letter_attempts"] == "3"


def test_the_checkpoint_example_fits_its_schema_and_verifies_with_the_published_key(
    schemas: dict[str, dict[str, Any]],
) -> None:
    schema = schemas["checkpoint.json"]
    Draft202012Validator.check_schema(schema)
    (example,) = schema["examples"]
    _validator(schema, schemas).validate(example)
    assert EXAMPLE_PUBLIC_KEY in schema["description"]
    trusted = load_public_keys(EXAMPLE_PUBLIC_KEY, "the example key")
    assert signature_problem(SignedCheckpoint.model_validate(example), trusted) is None
    with pytest.raises(ValidationError, match="does not match"):
        _validator(schema, schemas).validate({**example, "root": "not hex"})

"""The published contracts: JSON Schema of every published event, of the envelope and of the
Kafka headers under contracts/schemas/, of every command clients send over HTTP under
contracts/schemas/commands/, and one AsyncAPI document per service under contracts/asyncapi/.
Generated from the code (`onewindow contracts generate`) and checked in, so systems not
written in Python can consume the topics and call intake; `onewindow contracts check` and
tests/unit/test_published_contracts.py fail when the files drift from the code.

Output is deterministic (sorted keys, fixed formatting, a trailing newline): a re-run gives
byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from contracts.kafka import to_kafka
from contracts.publish.asyncapi import UNKNOWN_PRODUCER, ServiceShape, asyncapi_document
from contracts.publish.checkpoints import CHECKPOINT_FILE, checkpoint_schema
from contracts.publish.dead_letters import (
    HEADERS_SCHEMA,
    dead_letter_example,
    dead_letter_headers_schema,
)
from contracts.publish.examples import COMMAND_EXAMPLES, EXAMPLES, example_envelope
from contracts.publish.schemas import (
    BASE_ID,
    COMMANDS_DIR,
    DIALECT,
    ENVELOPE_FILE,
    HEADERS_FILE,
    command_file,
    command_schema,
    envelope_schema,
    event_schema,
    headers_schema,
    published_events,
    topic_pattern,
)

CONTRACTS = Path(__file__).parent.parent
SCHEMAS_DIR = "schemas"
ASYNCAPI_DIR = "asyncapi"
GENERATED = {SCHEMAS_DIR: ".json", f"{SCHEMAS_DIR}/{COMMANDS_DIR}": ".json", ASYNCAPI_DIR: ".yaml"}

__all__ = ["CONTRACTS", "ServiceShape", "differences", "render", "write"]


def render(services: Sequence[ServiceShape]) -> dict[str, str]:
    """Every generated file's text by its path relative to the contracts/ directory."""
    events = published_events()
    producers = {
        e.event_type: s.name
        for s in reversed(services)  # the first service that sends an event names it
        for e in events
        if any(topic_pattern(e.topic).fullmatch(t) for t in s.publishes_to)
    }
    first = next(iter(EXAMPLES.values()))
    sample = example_envelope(first, producers.get(first.event_type, UNKNOWN_PRODUCER))
    files = {
        f"{SCHEMAS_DIR}/{ENVELOPE_FILE}": _json(envelope_schema(sample)),
        f"{SCHEMAS_DIR}/{HEADERS_FILE}": _json(headers_schema(to_kafka(sample)[2])),
        f"{SCHEMAS_DIR}/{HEADERS_SCHEMA}": _json(
            dead_letter_headers_schema(dead_letter_example()[2])
        ),
        f"{SCHEMAS_DIR}/{CHECKPOINT_FILE}": _json(checkpoint_schema(DIALECT, BASE_ID)),
    }
    for event in events:
        example = EXAMPLES.get((event.event_type, event.schema_version))
        files[f"{SCHEMAS_DIR}/{event.file}"] = _json(event_schema(event, example))
    for command in COMMAND_EXAMPLES.values():
        files[f"{SCHEMAS_DIR}/{command_file(type(command))}"] = _json(command_schema(command))
    for service in services:
        document = asyncapi_document(service, events, producers)
        files[f"{ASYNCAPI_DIR}/{service.name}.yaml"] = _yaml(document)
    return dict(sorted(files.items()))


def differences(root: Path, files: Mapping[str, str]) -> list[str]:
    """Paths (relative to root) that differ from `files`: changed, missing, or no longer made."""
    stale = [path for path, text in files.items() if not _same(root / path, text.encode("utf-8"))]
    return sorted(stale + _leftovers(root, files))


def write(root: Path, files: Mapping[str, str]) -> list[str]:
    """Write what differs and remove generated files no longer made; returns those paths."""
    changed = differences(root, files)
    for path in changed:
        target = root / path
        if path in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[path].encode("utf-8"))
        else:
            target.unlink()
    return changed


def _leftovers(root: Path, files: Mapping[str, str]) -> list[str]:
    found = []
    for directory, suffix in GENERATED.items():
        for path in sorted((root / directory).glob(f"*{suffix}")):
            relative = f"{directory}/{path.name}"
            if relative not in files:
                found.append(relative)
    return found


def _same(path: Path, data: bytes) -> bool:
    return path.is_file() and path.read_bytes() == data


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _yaml(document: dict[str, Any]) -> str:
    text: str = yaml.safe_dump(
        document, allow_unicode=True, sort_keys=True, width=100, default_flow_style=False
    )
    return text

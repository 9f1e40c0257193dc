"""docs/legacy-integration.md is the whole contract for a department on Kafka: where it states
what the code decides, it is held to the code — the outputs table to the catalog, the reasons
an answer is ignored to the router's, the dead-letter headers to contracts/kafka.py."""

from __future__ import annotations

from typing import get_args

from contracts.catalog import load_catalog
from contracts.events import IgnoredBecause
from contracts.kafka import DEAD_LETTER_HEADERS
from contracts.publish.answers import BEGIN, END, outputs_table
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "legacy-integration.md").read_text(encoding="utf-8")


def test_the_outputs_table_is_the_catalogs() -> None:
    wanted = outputs_table(load_catalog())
    assert DOC.count(BEGIN) == DOC.count(END) == 1
    found = DOC[DOC.index(BEGIN) : DOC.index(END) + len(END)]
    assert found == wanted, f"replace the table in docs/legacy-integration.md with:\n{wanted}"


def test_every_table_row_names_a_certificate_number_among_the_outputs() -> None:
    for matter in load_catalog().matters.values():
        for subtask in matter.subtasks:
            if subtask.certificate is not None:
                assert subtask.certificate.number in subtask.outputs, subtask.code


def test_every_reason_for_ignoring_an_answer_is_explained() -> None:
    for reason in get_args(IgnoredBecause):
        assert f"`{reason}`" in DOC, reason


def test_the_dead_letter_headers_are_named() -> None:
    for header in DEAD_LETTER_HEADERS:
        assert f"`{header}`" in DOC, header

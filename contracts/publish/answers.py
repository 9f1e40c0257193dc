"""What a department must answer, from the catalog: per sub-task, the outputs its
SubtaskCompleted carries and which of them is the number of the certificate it issues. The
table in docs/legacy-integration.md is this text (tests/unit/test_legacy_integration_doc.py),
so the document cannot drift from the catalog."""

from __future__ import annotations

from contracts.catalog import Catalog
from contracts.departments import DEPARTMENTS

BEGIN = "<!-- outputs table: generated from contracts/catalog by contracts/publish/answers.py -->"
END = "<!-- end of outputs table -->"


def outputs_table(catalog: Catalog) -> str:
    """A Markdown table, one row per sub-task, by department then sub-task code."""
    rows = sorted(
        (subtask.department, subtask.code, matter.code, subtask)
        for matter in catalog.matters.values()
        for subtask in matter.subtasks
    )
    lines = [
        "| department | sub-task (matter) | `outputs` of `SubtaskCompleted` "
        "| certificate: its number |",
        "|---|---|---|---|",
    ]
    for department, code, matter, subtask in rows:
        outputs = ", ".join(f"`{o}`" for o in subtask.outputs) or "none"
        certificate = subtask.certificate
        issued = f"{certificate.title}: `{certificate.number}`" if certificate else "none"
        lines.append(
            f"| `{department}` {DEPARTMENTS.get(department, '')} | `{code}` {subtask.title}"
            f" ({matter}) | {outputs} | {issued} |"
        )
    return "\n".join([BEGIN, *lines, END])

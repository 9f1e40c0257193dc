"""Every service has the template's shape (docs/architecture.md, "The service template"), and
only eventlog/ names the event log's `events` table in SQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SERVICES = ("intake", "router", "dept_adapter", "notifier")
# modules, and packages (a trailing slash); `migrations/` too where the service has tables
TEMPLATE = frozenset(
    {
        "__init__.py",
        "__main__.py",
        "settings.py",
        "bootstrap.py",
        "metrics.py",
        "domain/",
        "handlers/",
        "adapters/",
        "entrypoints/",
    }
)
# Whatever outside eventlog/ could hold a query.
OUTSIDE_EVENTLOG = (
    *(
        f"services/{s}"
        for s in sorted(
            p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists()
        )
    ),
    "runtime",
    "onewindow",
    "contracts",
)

# A SQL keyword (upper case, as every query here is written) followed by `events` as a table,
# bare or schema-qualified ("intake".events, "{schema}".events, router."events"); or a quoted
# schema's events table anywhere (to_regclass('"{schema}".events')). Not Python imports
# (from contracts.events import ...), prose, topic names (onewindow.events-dlq) or other
# tables (events_archive).
_TABLE = r'"?events"?(?![\w.-])'
EVENTS_TABLE = re.compile(
    rf'\b(?:FROM|INTO|JOIN|UPDATE)\s+(?:"?[\w{{}}]+"?\s*\.\s*)?{_TABLE}|"[\w{{}}]+"\s*\.\s*{_TABLE}'
)
_CREATE_TABLE = re.compile(r"\bCREATE TABLE\b")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM events WHERE stream_id = $1",
        "SELECT p.stream_id FROM events p",
        "INSERT INTO events (stream_id, version)",
        'SELECT count(*) FROM "{schema}".events WHERE position > $1',
        'SELECT 1 FROM "router"."events" e',
        "SELECT 1 FROM intake.events",
        "SELECT a.x FROM applications a JOIN events e ON e.application_id = a.application_id",
        "UPDATE events SET payload = '{}'",
        "SELECT position\n    FROM\n        events\n    ORDER BY position",
        'SELECT to_regclass($1)", f\'"{schema}".events\'',
    ],
)
def test_the_pattern_finds_the_events_table(sql: str) -> None:
    assert EVENTS_TABLE.search(sql), sql


@pytest.mark.parametrize(
    "text",
    [
        "from contracts.events import ResultIgnored",
        "from services.router.domain.events import ClockUnavailable",
        "The relay reads events from the log and publishes them",
        "Events FROM the broker are deduplicated",
        "Dead letters go to onewindow.events-dlq",
        "SELECT * FROM events_archive",
        "SELECT * FROM eventstore",
        "UPDATE event_counts SET n = n + 1",
        "SELECT * FROM timeline WHERE application_id = $1",
        "figures.events_per_application",
    ],
)
def test_the_pattern_passes_over_other_uses_of_the_word(text: str) -> None:
    assert not EVENTS_TABLE.search(text), text


def _top_level(service: Path) -> set[str]:
    """Its names, packages with a trailing slash; data files (*.yaml) may stay at the top."""
    return {
        f"{p.name}/" if p.is_dir() else p.name
        for p in service.iterdir()
        if p.name != "__pycache__" and p.suffix != ".yaml"
    }


def _sources(area: Path) -> list[Path]:
    return sorted(p for p in area.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_has_the_template_shape(service: str) -> None:
    root = ROOT / "services" / service
    has_tables = any(_CREATE_TABLE.search(p.read_text()) for p in _sources(root))
    expected = TEMPLATE | ({"migrations/"} if has_tables else set())
    found = _top_level(root)
    assert found == expected, (
        f"services/{service}: not in the template: {sorted(found - expected)};"
        f" missing: {sorted(expected - found)}"
    )


@pytest.mark.parametrize("area", OUTSIDE_EVENTLOG)
def test_only_eventlog_names_the_events_table(area: str) -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}: {m.group(0)}"
        for path in _sources(ROOT / area)
        for text in [path.read_text()]
        for m in EVENTS_TABLE.finditer(text)
    ]
    assert not offending, "ask eventlog/reading.py instead:\n" + "\n".join(offending)


def test_eventlog_itself_is_found_by_the_pattern() -> None:
    """The scan reads real sources: the store's own queries are found."""
    assert EVENTS_TABLE.search((ROOT / "eventlog" / "store.py").read_text())

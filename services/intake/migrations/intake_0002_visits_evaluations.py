"""intake's read model of aftercare: visits, collection, deficiency, clocks, evaluations.

Revision ID: intake_0002
Revises: intake_0001
"""

from alembic import op

revision = "intake_0002"
down_revision = "intake_0001"

# Derived data like the tables of intake_0001: `onewindow rebuild-read-model` empties and
# replays them too (services/intake/adapters/rebuild.py lists them).
NEW_TABLES = ("visits", "clock_alerts", "follow_ups")


def upgrade(schema: str, app_role: str | None) -> None:
    # Set-valued columns are kept sorted and distinct, so the order events come in never shows.
    op.execute("""
        ALTER TABLE applications
            ADD COLUMN collection            text,
            ADD COLUMN notice_due_at         timestamptz,
            ADD COLUMN deferred_materials    text[]      NOT NULL DEFAULT '{}',
            ADD COLUMN materials_promised_by date,
            ADD COLUMN handed_in_materials   text[]      NOT NULL DEFAULT '{}',
            ADD COLUMN brought_materials     text[]      NOT NULL DEFAULT '{}',
            ADD COLUMN held_at               timestamptz,
            ADD COLUMN held_missing          text[],
            ADD COLUMN held_promised_by      date,
            ADD COLUMN collected_method      text,
            ADD COLUMN collected_at          timestamptz,
            ADD COLUMN rating                integer     CHECK (rating BETWEEN 1 AND 5),
            ADD COLUMN rating_comment        text,
            ADD COLUMN evaluated_at          timestamptz
    """)
    op.execute("CREATE INDEX applications_outcome_idx ON applications (outcome_at)")
    op.execute(
        "ALTER TABLE filings ADD COLUMN due_at timestamptz, ADD COLUMN completed_at timestamptz"
    )
    # One row per in-person event (a visit): the event id makes a replay change nothing.
    op.execute("""
        CREATE TABLE visits (
            event_id       uuid        PRIMARY KEY,
            application_id uuid        NOT NULL,
            kind           text        NOT NULL
                CHECK (kind IN ('submission', 'supplement', 'hand-in', 'pickup')),
            occurred_at    timestamptz NOT NULL
        )
    """)
    op.execute("CREATE INDEX visits_application_idx ON visits (application_id)")
    op.execute("""
        CREATE TABLE clock_alerts (
            event_id       uuid        PRIMARY KEY,
            application_id uuid        NOT NULL,
            alert          text        NOT NULL CHECK (alert IN ('warned', 'exceeded')),
            clock          text        NOT NULL,
            clock_id       text        NOT NULL,
            limit_kind     text        NOT NULL,
            department     text,
            limit_days     integer     NOT NULL,
            started_at     timestamptz NOT NULL,
            due_at         timestamptz NOT NULL,
            occurred_at    timestamptz NOT NULL
        )
    """)
    op.execute("CREATE INDEX clock_alerts_application_idx ON clock_alerts (application_id)")
    # A row may be made by its clock's warning before FollowUpOpened arrives: opened_at NULL.
    op.execute("""
        CREATE TABLE follow_ups (
            case_id         text        PRIMARY KEY,
            application_id  uuid        NOT NULL,
            rating          integer,
            comment         text,
            time_limit_days integer,
            opened_at       timestamptz,
            closed_at       timestamptz,
            response        text,
            clerk           text,
            warned_at       timestamptz,
            exceeded_at     timestamptz
        )
    """)
    op.execute("CREATE INDEX follow_ups_application_idx ON follow_ups (application_id)")
    op.execute("CREATE INDEX follow_ups_opened_idx ON follow_ups (opened_at)")
    if app_role:
        tables = ", ".join(NEW_TABLES)
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {tables} TO "{app_role}"')

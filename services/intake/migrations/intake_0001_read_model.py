"""intake's own tables: API keys, idempotency keys, and the read model.

Revision ID: intake_0001
Revises: 0001
"""

from alembic import op

revision = "intake_0001"
down_revision = "0001"

# The read model is derived data: `onewindow rebuild-read-model` empties these tables and
# replays every service's log. api_keys and idempotency_keys are not derived: never emptied.
READ_MODEL = ("applications", "filings", "timeline", "notices")


def upgrade(schema: str, app_role: str | None) -> None:
    op.execute("""
        CREATE TABLE api_keys (
            key_sha256  text        PRIMARY KEY,
            client_id   text        NOT NULL,
            kind        text        NOT NULL
                CHECK (kind IN ('window', 'web', 'mobile', 'kiosk', 'clerk')),
            created_at  timestamptz NOT NULL DEFAULT now()
        )
    """)
    # Written in the transaction that appends ApplicationSubmitted: one key, one application.
    op.execute("""
        CREATE TABLE idempotency_keys (
            client_id       text        NOT NULL,
            idempotency_key text        NOT NULL,
            request_sha256  text        NOT NULL,
            application_id  uuid        NOT NULL,
            receipt_number  text        NOT NULL,
            created_at      timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (client_id, idempotency_key)
        )
    """)
    # Every column is a function of the events applied, never of the order they came in or
    # of the clock at projection time, so a rebuild gives the same rows as the live model.
    op.execute("""
        CREATE TABLE applications (
            application_id    uuid        PRIMARY KEY,
            matter            text,
            client_id         text,
            channel           text,
            receipt_number    text,
            applicant_name    text,
            submitted_at      timestamptz,
            status            text        NOT NULL DEFAULT 'submitted',
            notice_id         text,
            notice_requests   jsonb,
            notice_issued_at  timestamptz,
            answered_notices  text[]      NOT NULL DEFAULT '{}',
            withdrawn_at      timestamptz,
            withdrawal_reason text,
            outcome           jsonb,
            outcome_at        timestamptz,
            updated_at        timestamptz
        )
    """)
    op.execute("CREATE INDEX applications_client_idx ON applications (client_id, submitted_at)")
    op.execute("CREATE INDEX applications_submitted_idx ON applications (submitted_at)")
    # One row per dispatch (filing_key) of a sub-task; the sub-task shows its latest dispatch,
    # so a result for an older filing is kept here but never shown as the sub-task's state.
    op.execute("""
        CREATE TABLE filings (
            application_id uuid        NOT NULL,
            subtask        text        NOT NULL,
            filing_key     text        NOT NULL,
            department     text        NOT NULL,
            title          text,
            dispatched_at  timestamptz,
            status         text        NOT NULL,
            status_at      timestamptz NOT NULL,
            status_rank    integer     NOT NULL,
            status_event   uuid        NOT NULL,
            legacy_receipt text,
            receipt_at     timestamptz,
            outputs        jsonb       NOT NULL DEFAULT '{}',
            reason         text,
            updated_at     timestamptz NOT NULL,
            PRIMARY KEY (application_id, subtask, filing_key)
        )
    """)
    op.execute("""
        CREATE TABLE timeline (
            event_id       uuid        PRIMARY KEY,
            application_id uuid        NOT NULL,
            occurred_at    timestamptz NOT NULL,
            event_type     text        NOT NULL,
            producer       text        NOT NULL,
            summary        text        NOT NULL
        )
    """)
    op.execute("CREATE INDEX timeline_application_idx ON timeline (application_id, occurred_at)")
    op.execute("""
        CREATE TABLE notices (
            event_id       uuid        PRIMARY KEY,
            application_id uuid        NOT NULL,
            notice         text        NOT NULL,
            notice_key     text        NOT NULL,
            status         text        NOT NULL CHECK (status IN ('delivered', 'failed')),
            channel        text        NOT NULL,
            recipient      text        NOT NULL,
            attempts       integer     NOT NULL,
            detail         text,
            occurred_at    timestamptz NOT NULL
        )
    """)
    op.execute("CREATE INDEX notices_application_idx ON notices (application_id, occurred_at)")
    if app_role:
        op.execute(f'GRANT SELECT, INSERT ON api_keys, idempotency_keys TO "{app_role}"')
        tables = ", ".join(READ_MODEL)
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {tables} TO "{app_role}"')

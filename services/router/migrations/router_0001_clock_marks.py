"""router's own table: where each process's next clock mark falls, for the ticker.

Revision ID: router_0001
Revises: 0001
"""

from alembic import op

revision = "router_0001"
down_revision = "0001"


def upgrade(schema: str, app_role: str | None) -> None:
    # Derived data, one row per process stream, written in the same transaction as every
    # append to that stream (services/router/adapters/clock_marks.py states the invariant).
    op.execute("""
        CREATE TABLE clock_marks (
            stream_id       text        PRIMARY KEY,
            application_id  uuid        NOT NULL,
            next_mark_at    timestamptz,
            version         integer     NOT NULL CHECK (version > 0)
        )
    """)
    op.execute(
        "CREATE INDEX clock_marks_due_idx ON clock_marks (next_mark_at)"
        " WHERE next_mark_at IS NOT NULL"
    )
    if app_role:
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON clock_marks TO "{app_role}"')

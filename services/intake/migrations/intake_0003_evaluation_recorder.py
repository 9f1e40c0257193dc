"""Who recorded an evaluation: the applicant through the filing client, or a clerk.

Revision ID: intake_0003
Revises: intake_0002
"""

from alembic import op

revision = "intake_0003"
down_revision = "intake_0002"


def upgrade(schema: str, app_role: str | None) -> None:
    # Events from before the field are the applicant's own (the event's default): so the rows.
    op.execute("""
        ALTER TABLE applications ADD COLUMN rating_recorded_by text
            CHECK (rating_recorded_by IN ('applicant', 'clerk'))
    """)
    op.execute("UPDATE applications SET rating_recorded_by = 'applicant' WHERE rating IS NOT NULL")
    op.execute("""
        ALTER TABLE follow_ups ADD COLUMN recorded_by text NOT NULL DEFAULT 'applicant'
            CHECK (recorded_by IN ('applicant', 'clerk'))
    """)

"""The notifier's projection of applications: receipt number, matter and the applicant's
delivery from ApplicationSubmitted (materials owed less MaterialsHandedIn), for events
that name only the application (a clock's warning).

Revision ID: n0003
Revises: n0002
"""

from alembic import op

revision = "n0003"
down_revision = "n0002"


def upgrade(schema: str, app_role: str | None) -> None:
    # receipt_number NULL: a placeholder row; a reminder waits for the submission.
    op.execute("""
        CREATE TABLE applications (
            application_id    uuid        PRIMARY KEY,
            receipt_number    text,
            matter            text,
            matter_name       text,
            applicant_name    text,
            delivery_channel  text,
            delivery_address  text,
            materials_owed    text[]      NOT NULL DEFAULT '{}',
            submitted_at      timestamptz
        )
    """)
    if app_role:
        op.execute(f'GRANT SELECT, INSERT, UPDATE ON applications TO "{app_role}"')

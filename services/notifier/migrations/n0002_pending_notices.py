"""An index for the delivery workers' scan of pending notices.

Revision ID: n0002
Revises: 0001
"""

from alembic import op

revision = "n0002"
down_revision = "0001"


def upgrade(schema: str, app_role: str | None) -> None:
    op.execute(
        "CREATE INDEX notice_prepared_idx ON events (position) WHERE event_type = 'NoticePrepared'"
    )

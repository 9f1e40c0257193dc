"""After a broker lost data, the relay publishes what followed the loss once more when the
broker has settled: when, and from where, is kept with its checkpoint, so a relay restarted
meanwhile (its process killed) still does it.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade(schema: str, app_role: str | None) -> None:
    op.execute("""
        ALTER TABLE relay_checkpoint
            ADD COLUMN again_from bigint,
            ADD COLUMN again_at timestamptz
    """)

"""Tamper evidence: the hash scheme of every event, and append-only triggers that fire in
every session_replication_role.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade(schema: str, app_role: str | None) -> None:
    # Events recorded before this revision were hashed with scheme 1 (eventlog/hashing.py);
    # an append names its scheme, so the default only ever applies to those (and to an
    # append by an older replica during a rolling upgrade, which still hashes with 1).
    op.execute("ALTER TABLE events ADD COLUMN hash_scheme smallint NOT NULL DEFAULT 1")
    # A trigger enabled plainly is skipped when session_replication_role = replica, which any
    # superuser may set without DDL; ALWAYS makes switching them off take an ALTER TABLE.
    op.execute("ALTER TABLE events ENABLE ALWAYS TRIGGER events_append_only")
    op.execute("ALTER TABLE events ENABLE ALWAYS TRIGGER events_no_truncate")

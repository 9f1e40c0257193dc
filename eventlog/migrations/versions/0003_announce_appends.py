"""Appends announce themselves: a statement trigger notifies `<schema>.events`, so an append
is one statement less.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade(schema: str, app_role: str | None) -> None:
    op.execute("""
        CREATE FUNCTION announce_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify(TG_TABLE_SCHEMA || '.events', '');
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER events_announced AFTER INSERT ON events
        FOR EACH STATEMENT EXECUTE FUNCTION announce_events()
    """)

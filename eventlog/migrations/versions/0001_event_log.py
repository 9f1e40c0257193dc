"""The event log, the relay checkpoint and the inbox.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None


def upgrade(schema: str, app_role: str | None) -> None:
    op.execute("""
        CREATE TABLE events (
            position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            stream_id       text        NOT NULL,
            version         integer     NOT NULL CHECK (version > 0),
            event_id        uuid        NOT NULL UNIQUE,
            event_type      text        NOT NULL,
            schema_version  integer     NOT NULL,
            occurred_at     timestamptz NOT NULL,
            application_id  uuid        NOT NULL,
            correlation_id  uuid        NOT NULL,
            causation_id    uuid,
            traceparent     text,
            producer        text        NOT NULL,
            payload         jsonb       NOT NULL,
            prev_hash       bytea,
            hash            bytea       NOT NULL,
            recorded_at     timestamptz NOT NULL DEFAULT now(),
            UNIQUE (stream_id, version)
        )
    """)
    op.execute("CREATE INDEX events_application_idx ON events (application_id)")
    # Append-only is the database's rule, not a convention: no role, not even the owner,
    # can UPDATE, DELETE or TRUNCATE an event while the triggers are enabled.
    op.execute("""
        CREATE FUNCTION refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'events are append-only: % refused on %.events',
                TG_OP, TG_TABLE_SCHEMA USING ERRCODE = 'insufficient_privilege';
        END $$
    """)
    op.execute("""
        CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION refuse_event_change()
    """)
    op.execute("""
        CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change()
    """)
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON events FROM PUBLIC")
    op.execute("""
        CREATE TABLE relay_checkpoint (
            id        boolean PRIMARY KEY DEFAULT true CHECK (id),
            position  bigint  NOT NULL
        )
    """)
    op.execute("INSERT INTO relay_checkpoint (position) VALUES (0)")
    op.execute("""
        CREATE TABLE inbox (
            consumer      text        NOT NULL,
            event_id      uuid        NOT NULL,
            processed_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, event_id)
        )
    """)
    if app_role:
        # The services' own login role may read and append events, never change them.
        op.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{app_role}"')
        op.execute(f'GRANT SELECT, INSERT ON events TO "{app_role}"')
        op.execute(f'GRANT SELECT, UPDATE ON relay_checkpoint TO "{app_role}"')
        op.execute(f'GRANT SELECT, INSERT ON inbox TO "{app_role}"')

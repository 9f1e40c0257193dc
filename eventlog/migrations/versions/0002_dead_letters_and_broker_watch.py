"""Dead letters kept in the log's schema; what the relay knows of the broker.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade(schema: str, app_role: str | None) -> None:
    # A record a consumer could not use, kept whole so an operator can send it back.
    op.execute("""
        CREATE TABLE dead_letters (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            consumer        text        NOT NULL,
            topic           text        NOT NULL,
            partition       integer     NOT NULL,
            "offset"        bigint      NOT NULL,
            key             bytea,
            value           bytea,
            headers         jsonb       NOT NULL,
            event_id        uuid,
            event_type      text,
            reason          text        NOT NULL,
            attempts        integer     NOT NULL,
            dead_lettered_at timestamptz NOT NULL DEFAULT now(),
            replayed_at     timestamptz,
            UNIQUE (consumer, topic, partition, "offset")
        )
    """)
    op.execute("""
        ALTER TABLE relay_checkpoint
            ADD COLUMN consumed_position bigint NOT NULL DEFAULT 1,
            ADD COLUMN acked_offsets jsonb NOT NULL DEFAULT '{}'
    """)
    if app_role:
        op.execute(f'GRANT SELECT, INSERT, UPDATE ON dead_letters TO "{app_role}"')

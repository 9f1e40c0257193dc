"""router's copy of the e-certificate library (电子证照库), for planning.

Revision ID: router_0002
Revises: router_0001
"""

from alembic import op

revision = "router_0002"
down_revision = "router_0001"


def upgrade(schema: str, app_role: str | None) -> None:
    # Derived from the router's own outcomes, written in the transaction that records each
    # (services/router/adapters/e_certificates.py); one row per certificate and holder.
    op.execute("""
        CREATE TABLE e_certificates (
            application_id    uuid        NOT NULL,
            subtask           text        NOT NULL,
            holder            text        NOT NULL,
            kind              text        NOT NULL,
            number            text        NOT NULL,
            department        text        NOT NULL,
            issued_at         timestamptz NOT NULL,
            verification_hash text        NOT NULL,
            replaces          boolean     NOT NULL,
            PRIMARY KEY (application_id, subtask, holder)
        )
    """)
    op.execute(
        "CREATE INDEX e_certificates_holder_idx ON e_certificates (kind, holder, issued_at DESC)"
    )
    if app_role:
        op.execute(f'GRANT SELECT, INSERT ON e_certificates TO "{app_role}"')

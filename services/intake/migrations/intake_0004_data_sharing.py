"""intake's tables for data sharing: the e-certificate library (电子证照库), the ledger of
access to personal data (个人信息保护), and the materials OneWindow obtained itself.

Revision ID: intake_0004
Revises: intake_0003
"""

from alembic import op

revision = "intake_0004"
down_revision = "intake_0003"

# `e_certificates` and `data_access` are derived from the logs like the read model's other
# tables: `onewindow rebuild-read-model` empties and replays them. `data_reads` is not: it is
# intake's own record of who read an application's personal data, and is never emptied.
NEW_TABLES = ("e_certificates", "data_access")


def upgrade(schema: str, app_role: str | None) -> None:
    # the materials fetched from a register or taken from the library (sorted, distinct)
    op.execute(
        "ALTER TABLE applications ADD COLUMN obtained_materials text[] NOT NULL DEFAULT '{}'"
    )
    # One row per certificate and holder of an approved outcome. Its status is not stored: a
    # row is replaced while a newer one of its kind and holder that replaces exists.
    op.execute("""
        CREATE TABLE e_certificates (
            application_id    uuid        NOT NULL,
            subtask           text        NOT NULL,
            holder            text        NOT NULL,
            holder_name       text        NOT NULL,
            kind              text        NOT NULL,
            title             text        NOT NULL,
            number            text        NOT NULL,
            department        text        NOT NULL,
            issued_at         timestamptz NOT NULL,
            verification_hash text        NOT NULL,
            replaces          boolean     NOT NULL,
            PRIMARY KEY (application_id, subtask, holder)
        )
    """)
    op.execute("CREATE INDEX e_certificates_number_idx ON e_certificates (number)")
    op.execute("CREATE INDEX e_certificates_holder_idx ON e_certificates (holder, kind, issued_at)")
    # Accesses the logs tell: a register lookup (dept_adapter, through the data-sharing
    # platform) and a certificate taken from the library (router). Keys are kept masked.
    op.execute("""
        CREATE TABLE data_access (
            event_id       uuid        NOT NULL,
            seq            integer     NOT NULL,
            application_id uuid        NOT NULL,
            occurred_at    timestamptz NOT NULL,
            source         text        NOT NULL CHECK (source IN ('register', 'e-certificate')),
            accessor       text        NOT NULL,
            what           text        NOT NULL,
            fields         text[]      NOT NULL,
            records        text[]      NOT NULL,
            purpose        text        NOT NULL,
            outcome        text        NOT NULL,
            PRIMARY KEY (event_id, seq)
        )
    """)
    op.execute("CREATE INDEX data_access_application_idx ON data_access (application_id)")
    # Reads of an application's personal data by hall staff (a clerk's key) and on the ops
    # console, recorded by intake as they happen.
    op.execute("""
        CREATE TABLE data_reads (
            read_id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            application_id uuid        NOT NULL,
            read_at        timestamptz NOT NULL,
            reader_kind    text        NOT NULL CHECK (reader_kind IN ('clerk', 'ops')),
            reader         text        NOT NULL,
            view           text        NOT NULL,
            screen         text        NOT NULL
        )
    """)
    op.execute("CREATE INDEX data_reads_application_idx ON data_reads (application_id)")
    if app_role:
        tables = ", ".join(NEW_TABLES)
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {tables} TO "{app_role}"')
        op.execute(f'GRANT SELECT, INSERT ON data_reads TO "{app_role}"')

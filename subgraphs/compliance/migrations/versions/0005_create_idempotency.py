"""Make createComplianceLog idempotent on a client key, and freeze that key once written.

``compliance_logs`` gets ``idempotency_key`` (unique: of two racing creates with one key, only
one row can exist) and ``request_fingerprint`` (a keyed HMAC of the request it came with), both
NULL for logs created without a key and for every log made before this migration. They are not
covered by the hash chain (docs/decisions/0014-compliance-idempotency.md), so the database keeps
them from changing instead: a trigger refuses any UPDATE that alters either of them (setting a
key on an old log, moving one to another log, or clearing it). The guards of migration 0002 on
the revisions are untouched.

Revision ID: 0005_create_idempotency
Revises: 0004_audit_outbox
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_create_idempotency"
down_revision: str | None = "0004_audit_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "compliance records are append-only"
TRIGGER = "compliance_logs_idempotency_frozen"


def upgrade() -> None:
    op.add_column("compliance_logs", sa.Column("idempotency_key", sa.String(255), nullable=True))
    op.add_column(
        "compliance_logs", sa.Column("request_fingerprint", sa.String(160), nullable=True)
    )
    # A unique index rather than a table constraint: SQLite can add it without rebuilding the
    # table (a rebuild would drop the append-only triggers of 0002). NULLs never clash.
    op.create_index(
        op.f("ix_compliance_logs_idempotency_key"),
        "compliance_logs",
        ["idempotency_key"],
        unique=True,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION compliance_refuse_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (OLD.idempotency_key, OLD.request_fingerprint) IS DISTINCT FROM
                   (NEW.idempotency_key, NEW.request_fingerprint) THEN
                    RAISE EXCEPTION '{MESSAGE}';
                END IF;
                RETURN NEW;
            END $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON compliance_logs "
            "FOR EACH ROW EXECUTE FUNCTION compliance_refuse_key_change()"
        )
        return
    op.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF idempotency_key, request_fingerprint "
        "ON compliance_logs WHEN OLD.idempotency_key IS NOT NEW.idempotency_key "
        "OR OLD.request_fingerprint IS NOT NEW.request_fingerprint "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON compliance_logs")
        op.execute("DROP FUNCTION IF EXISTS compliance_refuse_key_change()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    op.drop_index(op.f("ix_compliance_logs_idempotency_key"), table_name="compliance_logs")
    with op.batch_alter_table("compliance_logs") as batch:
        batch.drop_column("request_fingerprint")
        batch.drop_column("idempotency_key")

"""Refuse edits and deletions of compliance records in the database itself.

Revisions may not be deleted, and an UPDATE may only touch the sealed columns (``log_details``,
``response_id``), which the key-rotation command re-encrypts in place; everything the hash chain
covers directly is frozen. Logs (the current-view index) and the chain's tip may be updated by
appends but never deleted. The hash chain still detects what someone able to drop these guards
changes; the guards stop accidents and ordinary SQL from doing it in the first place.

Revision ID: 0002_append_only_guards
Revises: 0001_compliance
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_append_only_guards"
down_revision: str | None = "0001_compliance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "compliance records are append-only"
# Every column of compliance_log_revisions except the two sealed ones.
FROZEN = (
    "id, log_id, revision, chain_index, user_id, account_id, transaction_id, event_type, "
    "outcome, provider, performed_by, content_digest, created_at, previous_hash, hash"
)
NO_DELETE = ("compliance_log_revisions", "compliance_logs", "compliance_chain")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION compliance_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION '{MESSAGE}';
                END IF;
                IF (OLD.{FROZEN.replace(", ", ", OLD.")}) IS DISTINCT FROM
                   (NEW.{FROZEN.replace(", ", ", NEW.")}) THEN
                    RAISE EXCEPTION '{MESSAGE}';
                END IF;
                RETURN NEW;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER compliance_log_revisions_append_only BEFORE UPDATE OR DELETE "
            "ON compliance_log_revisions FOR EACH ROW EXECUTE FUNCTION compliance_refuse_change()"
        )
        op.execute(
            f"""
            CREATE FUNCTION compliance_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}';
            END $$
            """
        )
        for table in NO_DELETE[1:]:
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION compliance_refuse_delete()"
            )
        return
    op.execute(
        f"CREATE TRIGGER compliance_log_revisions_frozen BEFORE UPDATE OF {FROZEN} "
        f"ON compliance_log_revisions BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    )
    for table in NO_DELETE:
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP TRIGGER IF EXISTS compliance_log_revisions_append_only "
            "ON compliance_log_revisions"
        )
        for table in NO_DELETE[1:]:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}")
        op.execute("DROP FUNCTION IF EXISTS compliance_refuse_change()")
        op.execute("DROP FUNCTION IF EXISTS compliance_refuse_delete()")
        return
    op.execute("DROP TRIGGER IF EXISTS compliance_log_revisions_frozen")
    for table in NO_DELETE:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")

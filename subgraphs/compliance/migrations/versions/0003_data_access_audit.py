"""Make DATA_ACCESS audit records idempotent: one log per (audit event, accessed entity).

Revision ID: 0003_data_access_audit
Revises: 0002_append_only_guards
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_data_access_audit"
down_revision: str | None = "0002_append_only_guards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SHA-256 (hex) of the event id, entity and entity id; NULL for logs recorded by people.
    op.add_column("compliance_logs", sa.Column("audit_key", sa.String(64), nullable=True))
    op.create_index(
        op.f("ix_compliance_logs_audit_key"), "compliance_logs", ["audit_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_compliance_logs_audit_key"), table_name="compliance_logs")
    with op.batch_alter_table("compliance_logs") as batch:
        batch.drop_column("audit_key")

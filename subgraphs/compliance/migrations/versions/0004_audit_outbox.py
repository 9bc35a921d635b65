"""Create the audit outbox: compliance's own DATA_ACCESS events waiting to be appended.

Revision ID: 0004_audit_outbox
Revises: 0003_data_access_audit
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_audit_outbox"
down_revision: str | None = "0003_data_access_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_outbox",
        sa.Column("id", sa.String(48), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_outbox")),
    )
    op.create_index(op.f("ix_audit_outbox_sent_at"), "audit_outbox", ["sent_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_outbox_sent_at"), table_name="audit_outbox")
    op.drop_table("audit_outbox")

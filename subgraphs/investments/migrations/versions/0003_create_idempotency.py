"""Make createInvestmentAccount idempotent on a client key.

``investment_accounts`` gets ``idempotency_key`` (unique: of two racing creates with one key, only one row
can exist) and ``request_fingerprint`` (a keyed HMAC of the request it came with), both NULL
for rows created without a key and for every row made before this migration
(docs/decisions/0027-create-idempotency-users-investments.md).

Revision ID: 0003_create_idempotency
Revises: 0002_audit_outbox
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_create_idempotency"
down_revision: str | None = "0002_audit_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "investment_accounts", sa.Column("idempotency_key", sa.String(255), nullable=True)
    )
    op.add_column(
        "investment_accounts", sa.Column("request_fingerprint", sa.String(160), nullable=True)
    )
    # A unique index rather than a table constraint: SQLite adds it without rebuilding the
    # table. NULLs never clash.
    op.create_index(
        op.f("ix_investment_accounts_idempotency_key"),
        "investment_accounts",
        ["idempotency_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_investment_accounts_idempotency_key"), table_name="investment_accounts")
    with op.batch_alter_table("investment_accounts") as batch:
        batch.drop_column("request_fingerprint")
        batch.drop_column("idempotency_key")

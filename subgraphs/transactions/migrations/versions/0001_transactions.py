"""Create the transactions and account_write_locks tables.

Revision ID: 0001_transactions
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_transactions"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transactions",
        sa.Column("id", sa.String(48), nullable=False),
        sa.Column("account_id", sa.String(48), nullable=False),
        sa.Column("user_id", sa.String(48), nullable=False),
        sa.Column("type", sa.String(12), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        # Encrypted columns hold envelopes (text), never plaintext.
        sa.Column("consideration_amount", sa.Text(), nullable=False),
        sa.Column("charges_amount", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("isin", sa.String(12), nullable=True),
        sa.Column("quantity", sa.String(40), nullable=True),
        sa.Column("price", sa.String(40), nullable=True),
        sa.Column("trade_date", sa.Date(), nullable=False),
        sa.Column("settlement_date", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("request_fingerprint", sa.String(160), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_transactions_idempotency_key")),
    )
    for column in ("account_id", "user_id", "type", "status", "trade_date"):
        op.create_index(op.f(f"ix_transactions_{column}"), "transactions", [column])
    op.create_table(
        "account_write_locks",
        sa.Column("account_id", sa.String(48), nullable=False),
        sa.Column("writes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_write_locks")),
    )


def downgrade() -> None:
    op.drop_table("account_write_locks")
    for column in ("trade_date", "status", "type", "user_id", "account_id"):
        op.drop_index(op.f(f"ix_transactions_{column}"), table_name="transactions")
    op.drop_table("transactions")

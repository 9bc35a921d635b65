"""Create the investment_accounts table.

Revision ID: 0001_investment_accounts
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_investment_accounts"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# At most one open ISA per user (DESIGN §3): a partial unique index, on both backends.
OPEN_ISA_PREDICATE = "account_type = 'ISA' AND status <> 'CLOSED'"


def upgrade() -> None:
    op.create_table(
        "investment_accounts",
        sa.Column("id", sa.String(48), nullable=False),
        sa.Column("user_id", sa.String(48), nullable=False),
        # Encrypted columns hold envelopes (text), never plaintext.
        sa.Column("client_reference", sa.Text(), nullable=False),
        sa.Column("client_reference_blind_index", sa.String(128), nullable=False),
        sa.Column("account_type", sa.String(8), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_accounts")),
        sa.UniqueConstraint(
            "user_id",
            "client_reference_blind_index",
            name=op.f("uq_investment_accounts_user_reference"),
        ),
    )
    op.create_index(op.f("ix_investment_accounts_user_id"), "investment_accounts", ["user_id"])
    op.create_index(
        op.f("ix_investment_accounts_account_type"), "investment_accounts", ["account_type"]
    )
    op.create_index(op.f("ix_investment_accounts_status"), "investment_accounts", ["status"])
    op.create_index(
        op.f("uq_investment_accounts_open_isa"),
        "investment_accounts",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_ISA_PREDICATE),
        postgresql_where=sa.text(OPEN_ISA_PREDICATE),
    )


def downgrade() -> None:
    op.drop_index(op.f("uq_investment_accounts_open_isa"), table_name="investment_accounts")
    op.drop_index(op.f("ix_investment_accounts_status"), table_name="investment_accounts")
    op.drop_index(op.f("ix_investment_accounts_account_type"), table_name="investment_accounts")
    op.drop_index(op.f("ix_investment_accounts_user_id"), table_name="investment_accounts")
    op.drop_table("investment_accounts")

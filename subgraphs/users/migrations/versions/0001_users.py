"""Create the users table.

Revision ID: 0001_users
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_users"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(48), nullable=False),
        sa.Column("title", sa.String(20), nullable=True),
        sa.Column("first_name", sa.String(50), nullable=False),
        sa.Column("last_name", sa.String(50), nullable=False),
        # Encrypted columns hold envelopes (text), never plaintext.
        sa.Column("date_of_birth", sa.Text(), nullable=False),
        sa.Column("nationality", sa.String(2), nullable=False),
        sa.Column("email_address", sa.Text(), nullable=False),
        sa.Column("email_blind_index", sa.String(128), nullable=False),
        sa.Column("telephone_number", sa.Text(), nullable=False),
        sa.Column("employment_status", sa.String(20), nullable=False),
        sa.Column("annual_income", sa.Text(), nullable=False),
        sa.Column("sources_of_wealth", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email_blind_index", name=op.f("uq_users_email_blind_index")),
    )
    op.create_index(op.f("ix_users_status"), "users", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_users_status"), table_name="users")
    op.drop_table("users")

"""Create the compliance logs, their revisions and the hash chain's tip.

Revision ID: 0001_compliance
Revises:
Create Date: 2026-11-28
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_compliance"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "compliance_logs",
        sa.Column("id", sa.String(48), nullable=False),
        sa.Column("user_id", sa.String(48), nullable=True),
        sa.Column("account_id", sa.String(48), nullable=True),
        sa.Column("transaction_id", sa.String(48), nullable=True),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_logs")),
    )
    for column in ("user_id", "account_id", "transaction_id", "event_type"):
        op.create_index(op.f(f"ix_compliance_logs_{column}"), "compliance_logs", [column])

    op.create_table(
        "compliance_log_revisions",
        sa.Column("id", sa.String(48), nullable=False),
        sa.Column("log_id", sa.String(48), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("chain_index", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(48), nullable=True),
        sa.Column("account_id", sa.String(48), nullable=True),
        sa.Column("transaction_id", sa.String(48), nullable=True),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("provider", sa.String(100), nullable=True),
        sa.Column("performed_by", sa.String(100), nullable=False),
        # Encrypted columns hold envelopes (text), never plaintext.
        sa.Column("log_details", sa.Text(), nullable=False),
        sa.Column("response_id", sa.Text(), nullable=False),
        sa.Column("content_digest", sa.String(160), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_log_revisions")),
        sa.ForeignKeyConstraint(
            ["log_id"],
            ["compliance_logs.id"],
            name=op.f("fk_compliance_log_revisions_log_id_compliance_logs"),
        ),
        sa.UniqueConstraint("log_id", "revision", name=op.f("uq_compliance_log_revisions_log_id")),
        sa.UniqueConstraint("chain_index", name=op.f("uq_compliance_log_revisions_chain_index")),
    )
    op.create_index(
        op.f("ix_compliance_log_revisions_log_id"), "compliance_log_revisions", ["log_id"]
    )

    chain = op.create_table(
        "compliance_chain",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_chain")),
    )
    # The empty chain: appends lock and advance this one row.
    op.bulk_insert(
        chain,
        [{"id": 1, "length": 0, "head_hash": GENESIS_HASH, "updated_at": dt.datetime.now(dt.UTC)}],
    )


def downgrade() -> None:
    op.drop_table("compliance_chain")
    op.drop_index(op.f("ix_compliance_log_revisions_log_id"), table_name="compliance_log_revisions")
    op.drop_table("compliance_log_revisions")
    for column in ("transaction_id", "account_id", "user_id", "event_type"):
        op.drop_index(op.f(f"ix_compliance_logs_{column}"), table_name="compliance_logs")
    op.drop_table("compliance_logs")

"""The transactions domain vocabulary: types, statuses, status moves and cash directions."""

from __future__ import annotations

import enum

__all__ = [
    "ALLOWED_STATUS_MOVES",
    "CASH_COUNTED_STATUSES",
    "FUNDED_TYPES",
    "INFLOW_TYPES",
    "OUTFLOW_TYPES",
    "TRADE_TYPES",
    "TransactionStatus",
    "TransactionType",
]


class TransactionType(enum.Enum):
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"
    BUY = "BUY"
    SELL = "SELL"
    CHARGE = "CHARGE"
    DIVIDEND = "DIVIDEND"
    INTEREST = "INTEREST"


class TransactionStatus(enum.Enum):
    PENDING = "PENDING"
    SETTLED = "SETTLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"


# Money coming into the account's cash, and money leaving it (DESIGN §3).
INFLOW_TYPES: frozenset[TransactionType] = frozenset(
    {
        TransactionType.DEPOSIT,
        TransactionType.SELL,
        TransactionType.DIVIDEND,
        TransactionType.INTEREST,
    }
)
OUTFLOW_TYPES: frozenset[TransactionType] = frozenset(
    {TransactionType.WITHDRAWAL, TransactionType.BUY, TransactionType.CHARGE}
)
# Trades name a security (isin, quantity, price); other types must not.
TRADE_TYPES: frozenset[TransactionType] = frozenset({TransactionType.BUY, TransactionType.SELL})
# Outflows the client asks for, refused when they would exceed the available cash. A CHARGE is
# the platform's own fee: it is taken even when it drives the cash below zero.
FUNDED_TYPES: frozenset[TransactionType] = frozenset(
    {TransactionType.WITHDRAWAL, TransactionType.BUY}
)
# Cancelled and rejected transactions never moved money, so they never count.
CASH_COUNTED_STATUSES: frozenset[TransactionStatus] = frozenset(
    {TransactionStatus.PENDING, TransactionStatus.SETTLED}
)

# Only a PENDING transaction moves; the three outcomes are final (a correction is a new
# transaction).
ALLOWED_STATUS_MOVES: dict[TransactionStatus, frozenset[TransactionStatus]] = {
    TransactionStatus.PENDING: frozenset(
        {TransactionStatus.SETTLED, TransactionStatus.CANCELLED, TransactionStatus.REJECTED}
    ),
    TransactionStatus.SETTLED: frozenset(),
    TransactionStatus.CANCELLED: frozenset(),
    TransactionStatus.REJECTED: frozenset(),
}

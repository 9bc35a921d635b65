"""The investments domain vocabulary: account types, statuses and the status lifecycle."""

from __future__ import annotations

import enum

__all__ = [
    "ALLOWED_STATUS_MOVES",
    "OPEN_STATUSES",
    "InvestmentAccountStatus",
    "InvestmentAccountType",
]


class InvestmentAccountType(enum.Enum):
    GIA = "GIA"  # general investment account
    ISA = "ISA"  # stocks and shares individual savings account
    JISA = "JISA"  # junior ISA
    SIPP = "SIPP"  # self-invested personal pension
    LISA = "LISA"  # lifetime ISA


class InvestmentAccountStatus(enum.Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    CLOSING = "CLOSING"
    CLOSED = "CLOSED"


_S = InvestmentAccountStatus

# DESIGN §3. PENDING is only ever a starting point (nothing moves back to it), so an account that
# is PENDING has never been ACTIVE and cannot hold transactions. CLOSED is terminal.
ALLOWED_STATUS_MOVES: dict[InvestmentAccountStatus, frozenset[InvestmentAccountStatus]] = {
    _S.PENDING: frozenset({_S.ACTIVE, _S.SUSPENDED, _S.CLOSING}),
    _S.ACTIVE: frozenset({_S.SUSPENDED, _S.CLOSING}),
    _S.SUSPENDED: frozenset({_S.ACTIVE, _S.CLOSING}),
    _S.CLOSING: frozenset({_S.CLOSED}),
    _S.CLOSED: frozenset(),
}

# "Open" for the one-ISA-per-user rule: every status but CLOSED.
OPEN_STATUSES: frozenset[InvestmentAccountStatus] = frozenset(_S) - {_S.CLOSED}

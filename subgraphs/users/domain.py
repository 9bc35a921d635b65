"""The users domain vocabulary: statuses, employment, sources of wealth, and status moves."""

from __future__ import annotations

import enum

__all__ = ["ALLOWED_STATUS_MOVES", "EmploymentStatus", "SourceOfWealth", "UserStatus"]


class UserStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


class EmploymentStatus(enum.Enum):
    EMPLOYED = "EMPLOYED"
    SELF_EMPLOYED = "SELF_EMPLOYED"
    RETIRED = "RETIRED"
    STUDENT = "STUDENT"
    UNEMPLOYED = "UNEMPLOYED"


class SourceOfWealth(enum.Enum):
    EMPLOYMENT_INCOME = "EMPLOYMENT_INCOME"
    BUSINESS_INCOME = "BUSINESS_INCOME"
    INHERITANCE = "INHERITANCE"
    GIFT = "GIFT"
    SAVINGS = "SAVINGS"
    INVESTMENTS = "INVESTMENTS"
    PROPERTY = "PROPERTY"
    PENSION = "PENSION"
    OTHER = "OTHER"


# CLOSED is terminal: a closed profile is kept for record-keeping, never reopened or edited.
ALLOWED_STATUS_MOVES: dict[UserStatus, frozenset[UserStatus]] = {
    UserStatus.ACTIVE: frozenset({UserStatus.SUSPENDED, UserStatus.CLOSED}),
    UserStatus.SUSPENDED: frozenset({UserStatus.ACTIVE, UserStatus.CLOSED}),
    UserStatus.CLOSED: frozenset(),
}

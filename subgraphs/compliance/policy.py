"""Who may read and write compliance logs (docs/decisions/0012-subgraph-authorization-and-audit.md).

* ``compliance`` and ``admin``: read every log (by id, in lists, under a user, account or
  transaction) and log or amend events.
* ``advisor``: reads a user's KYC status, not the logs behind it.
* ``client``: no compliance logs at all (``ROLE``, before any look-up, so a log id that exists
  and one that does not are refused alike); its own KYC status only (another user's is
  ``NOT_OWN``, decided by the id alone, the same whether that user exists or not).
* ``service`` (a subgraph's audit relay) and ``admin``: record DATA_ACCESS events.

The log details and response id are sensitive: reading them also needs ``pii:read``.
"""

from __future__ import annotations

from crypto import Principal
from subgraphs.kit import (
    ADMIN,
    COMPLIANCE,
    SERVICE,
    require_role,
    require_staff_or_own_client,
)

__all__ = [
    "require_kyc_status",
    "require_read_logs",
    "require_record_data_access",
    "require_write",
]

LOG_READERS = frozenset({COMPLIANCE, ADMIN})


def require_read_logs(principal: Principal) -> None:
    require_role(principal, LOG_READERS, action="read compliance logs")


def require_kyc_status(principal: Principal, user_id: str) -> None:
    """Refuse a user's KYC status unless staff, or the client asking about itself."""
    require_staff_or_own_client(principal, user_id, own="KYC status", what="KYC statuses")


def require_write(principal: Principal) -> None:
    require_role(principal, LOG_READERS, action="log or amend compliance events")


def require_record_data_access(principal: Principal) -> None:
    require_role(principal, {SERVICE, ADMIN}, action="record data access events")

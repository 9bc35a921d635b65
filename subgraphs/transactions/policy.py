"""Who may read and record transactions (docs/decisions/0012-subgraph-authorization-and-audit.md).

* ``client``: reads only the transactions of the user named in its token (lists are narrowed to
  them), and the cash figures and transaction lists only of accounts the investments subgraph
  says are its own (asked with the client's own token); records and changes nothing.
* ``advisor``: reads everything; records transactions, changes and cancels pending ones.
* ``compliance``: reads everything.
* ``admin``: everything.

The amounts are sensitive: reading them also needs ``pii:read``.
"""

from __future__ import annotations

from crypto import Principal
from subgraphs.kit import (
    ADMIN,
    ADVISOR,
    STAFF,
    Forbidden,
    client_user_filter,
    is_client_only,
    require_role,
    require_staff_or_own_client,
)

__all__ = [
    "is_client_only",
    "list_user_filter",
    "require_account_owner",
    "require_read",
    "require_read_user_transactions",
    "require_staff",
    "require_write",
]


def require_read_user_transactions(principal: Principal, user_id: str) -> None:
    """Refuse reading the transactions of ``user_id`` unless staff or that user's client."""
    require_staff_or_own_client(principal, user_id, own="transactions", what="transactions")


def require_read(principal: Principal, transaction_user_id: str) -> None:
    """Refuse reading one transaction (by id or as an entity) of ``transaction_user_id``."""
    require_read_user_transactions(principal, transaction_user_id)


def list_user_filter(principal: Principal, requested_user_id: str | None) -> str | None:
    """Return the user filter a list must use: a client's list is narrowed to its own user."""
    return client_user_filter(principal, requested_user_id, own="transactions", what="transactions")


def require_staff(principal: Principal, *, action: str) -> None:
    """Refuse ``action`` unless the caller is staff (advisor, compliance or admin)."""
    require_role(principal, STAFF, action=action)


def require_write(principal: Principal, *, action: str) -> None:
    """Refuse recording, changing or cancelling transactions unless advisor or admin."""
    require_role(principal, {ADMIN, ADVISOR}, action=action)


def require_account_owner(principal: Principal, owner_user_id: str | None) -> None:
    """Refuse a client's read of an account's figures unless the account is its own."""
    if owner_user_id is not None and owner_user_id != principal.user_id:
        raise Forbidden("A client may read only its own accounts.", reason="NOT_OWN")

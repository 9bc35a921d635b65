"""Who may read and record transactions (docs/decisions/0012-subgraph-authorization-and-audit.md).

* ``client``: reads only the transactions of the user named in its token (lists are narrowed to
  them), and the cash figures and transaction lists only of accounts the investments subgraph
  says are its own (asked with the client's own token); records and changes nothing. Another
  user's transaction, by id or as an entity, is answered exactly as an id that does not exist
  (null, no error), and another user's account exactly as an account that does not exist (no
  transactions, zero cash, no error), without opening any amount (so nothing is audited): a
  client cannot probe which ids exist. Naming another user's id (a list filter,
  ``User.transactions``) is FORBIDDEN (``NOT_OWN``), decided by the id alone, so it is the same
  whether that user exists or not.
* ``advisor``: reads everything; records transactions, changes and cancels pending ones.
* ``compliance``: reads everything.
* ``admin``: everything.

The amounts are sensitive: reading them also needs ``pii:read``, except for the client whose
transaction it is (self-access, audited as such).
"""

from __future__ import annotations

from crypto import Principal
from subgraphs.kit import (
    ADMIN,
    ADVISOR,
    STAFF,
    client_user_filter,
    is_client_only,
    may_see_row_of,
    require_role,
    require_staff_or_own_client,
)

__all__ = [
    "is_client_only",
    "list_user_filter",
    "may_read",
    "may_read_account",
    "require_read_user_transactions",
    "require_staff",
    "require_write",
]


def require_read_user_transactions(principal: Principal, user_id: str) -> None:
    """Refuse reading the transactions of ``user_id`` unless staff or that user's client."""
    require_staff_or_own_client(principal, user_id, own="transactions", what="transactions")


def may_read(principal: Principal, transaction_user_id: str | None) -> bool:
    """Whether one transaction (by id or as an entity) of ``transaction_user_id`` may be shown.

    ``None`` means there is no such transaction. ``False`` must be answered exactly like a
    missing transaction; a role that reads no transactions at all is refused (``ROLE``).
    """
    return may_see_row_of(principal, transaction_user_id, what="transactions")


def list_user_filter(principal: Principal, requested_user_id: str | None) -> str | None:
    """Return the user filter a list must use: a client's list is narrowed to its own user."""
    return client_user_filter(principal, requested_user_id, own="transactions", what="transactions")


def require_staff(principal: Principal, *, action: str) -> None:
    """Refuse ``action`` unless the caller is staff (advisor, compliance or admin)."""
    require_role(principal, STAFF, action=action)


def require_write(principal: Principal, *, action: str) -> None:
    """Refuse recording, changing or cancelling transactions unless advisor or admin."""
    require_role(principal, {ADMIN, ADVISOR}, action=action)


def may_read_account(principal: Principal, owner_user_id: str | None) -> bool:
    """Whether a client may read the figures of an account owned by ``owner_user_id``.

    ``None``: the owner (investments) returned no such account to this client, which is its
    answer both for an id that does not exist and for another user's account. Either way the
    account shows no transactions and no cash, as an account that does not exist.
    """
    return owner_user_id is not None and owner_user_id == principal.user_id

"""Who may read and change user profiles (docs/decisions/0012-subgraph-authorization-and-audit.md).

* ``client``: reads only the user named in its token (``user_id``); lists and e-mail look-ups
  are staff tools; changes nothing.
* ``advisor``, ``compliance``: read every user (advisors read their clients).
* ``admin``: everything, including creating and updating profiles.

Sensitive fields (date of birth, e-mail, telephone, income, sources of wealth) also need the
scope ``pii:read`` (checked field by field by the kit's ``open_sensitive``).
"""

from __future__ import annotations

from crypto import Principal
from subgraphs.kit import ADMIN, STAFF, require_role, require_staff_or_own_client

__all__ = [
    "require_create",
    "require_list",
    "require_lookup_by_email",
    "require_read",
    "require_update",
]


def require_read(principal: Principal, user_id: str) -> None:
    """Refuse reading user ``user_id`` unless staff, or the client reading itself."""
    require_staff_or_own_client(principal, user_id, own="user", what="users")


def require_list(principal: Principal) -> None:
    require_role(principal, STAFF, action="list users")


def require_lookup_by_email(principal: Principal) -> None:
    require_role(principal, STAFF, action="look users up by e-mail address")


def require_create(principal: Principal) -> None:
    require_role(principal, {ADMIN}, action="create users")


def require_update(principal: Principal) -> None:
    require_role(principal, {ADMIN}, action="update users")

"""Who may read and change user profiles (docs/decisions/0012-subgraph-authorization-and-audit.md).

* ``client``: reads only the user named in its token (``user_id``); any other user, by id or
  as an entity, is answered as if it did not exist (null, no error), decided by the id alone
  before any look-up, so a client cannot probe which user ids exist; lists and e-mail look-ups
  are staff tools; changes nothing.
* ``advisor``, ``compliance``: read every user (advisors read their clients).
* ``admin``: everything, including creating and updating profiles.

Sensitive fields (date of birth, e-mail, telephone, income, sources of wealth) also need the
scope ``pii:read`` (checked field by field by the kit's ``open_sensitive``), except for the client
reading its own profile (self-access, audited as such).
"""

from __future__ import annotations

from crypto import Principal
from subgraphs.kit import ADMIN, STAFF, may_see_row_of, require_role

__all__ = [
    "may_read",
    "require_create",
    "require_list",
    "require_lookup_by_email",
    "require_update",
]


def may_read(principal: Principal, user_id: str) -> bool:
    """Whether user ``user_id`` may be shown: staff, or the client reading itself.

    ``False`` (another client's user) must be answered like a missing user; a role that reads
    no users at all is refused (``ROLE``).
    """
    # A user row belongs to the user it is, so its id is its owner's id.
    return may_see_row_of(principal, user_id, what="users")


def require_list(principal: Principal) -> None:
    require_role(principal, STAFF, action="list users")


def require_lookup_by_email(principal: Principal) -> None:
    require_role(principal, STAFF, action="look users up by e-mail address")


def require_create(principal: Principal) -> None:
    require_role(principal, {ADMIN}, action="create users")


def require_update(principal: Principal) -> None:
    require_role(principal, {ADMIN}, action="update users")

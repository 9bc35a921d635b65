"""Who may read and change investment accounts (decision 0012 in docs/decisions/).

* ``client``: reads only the accounts of the user named in its token. Another user's account,
  by id or as an entity, is answered exactly as an id that does not exist (null, no error), so a
  client cannot probe which account ids exist (the row is not opened, so nothing is audited).
  Lists are narrowed to its own accounts; naming another user's id (a list filter,
  ``User.investmentAccounts``, a look-up by reference) is FORBIDDEN (``NOT_OWN``), decided by
  the id alone, so it is the same whether that user exists or not. Changes nothing.
* ``advisor``: reads every account; opens accounts and changes them, except suspending or
  lifting a suspension (compliance's call).
* ``compliance``: reads every account; may only move an account's status between ACTIVE and
  SUSPENDED (suspend, lift).
* ``admin``: everything.

The client reference is sensitive: reading it also needs ``pii:read`` (kit ``open_sensitive``),
except for the client reading its own account (self-access, audited as such).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crypto import Principal
from subgraphs.kit import (
    ADMIN,
    ADVISOR,
    COMPLIANCE,
    Forbidden,
    client_user_filter,
    may_see_row_of,
    require_role,
    require_staff_or_own_client,
)

from .domain import InvestmentAccountStatus

__all__ = [
    "list_user_filter",
    "may_read",
    "require_create",
    "require_may_update",
    "require_read_user_accounts",
    "require_update",
]

_SUSPENSION = {InvestmentAccountStatus.SUSPENDED}
_ACTIVE_OR_SUSPENDED = {InvestmentAccountStatus.ACTIVE, InvestmentAccountStatus.SUSPENDED}


def require_read_user_accounts(principal: Principal, user_id: str) -> None:
    """Refuse reading the accounts of ``user_id`` unless staff or that user's own client."""
    require_staff_or_own_client(principal, user_id, own="accounts", what="investment accounts")


def may_read(principal: Principal, account_user_id: str | None) -> bool:
    """Whether an account (by id or as an entity) of ``account_user_id`` may be shown.

    ``None`` means there is no such account. ``False`` must be answered exactly like a missing
    account; a role that reads no accounts at all is refused (``ROLE``) either way.
    """
    return may_see_row_of(principal, account_user_id, what="investment accounts")


def list_user_filter(principal: Principal, requested_user_id: str | None) -> str | None:
    """Return the user filter a list must use: a client's list is narrowed to its own user."""
    return client_user_filter(
        principal, requested_user_id, own="accounts", what="investment accounts"
    )


def require_create(principal: Principal) -> None:
    require_role(principal, {ADMIN, ADVISOR}, action="open investment accounts")


def require_may_update(principal: Principal) -> None:
    """Refuse before any look-up a caller whose role changes no account at all."""
    require_role(principal, {ADMIN, ADVISOR, COMPLIANCE}, action="change investment accounts")


def require_update(
    principal: Principal, current: InvestmentAccountStatus, changes: Mapping[str, Any]
) -> None:
    """Refuse the change unless the caller's role covers every part of it."""
    if ADMIN in principal.roles:
        return
    target = changes.get("status")
    moves_suspension = target is not None and (
        target in _SUSPENSION or (current in _SUSPENSION and target != current)
    )
    suspend_or_lift = moves_suspension and {current, target} <= _ACTIVE_OR_SUSPENDED
    if COMPLIANCE in principal.roles and set(changes) <= {"status"} and suspend_or_lift:
        return
    if ADVISOR in principal.roles and not moves_suspension:
        return
    raise Forbidden("Your role may not make this change to an investment account.", reason="ROLE")

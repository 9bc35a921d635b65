"""Who may do what: the roles, the two refusals, and the small checks each subgraph's policy uses.

Every request reaching a subgraph carries a verified :class:`~crypto.Principal` (see
:mod:`.authentication`). A subgraph's ``policy.py`` states its rules with the helpers here, and
its services call the policy before they read or write; resolvers add nothing of their own.

Roles (from the router's token): ``client`` (only their own user, accounts and transactions),
``advisor`` (reads clients; creates accounts and transactions), ``compliance`` (reads everything;
writes compliance logs; suspends accounts), ``admin`` (everything), and ``service`` (a subgraph's
own background work, e.g. relaying the access audit; only what a policy grants it explicitly).

A client-only caller cannot tell another user's row from a row that does not exist: a read of
one row by its id (a query, ``_entities``, a field contributed to someone else's account) asks
:func:`may_see_row_of` and, where it says no, answers exactly as for a missing id (null, no
error) without decrypting or auditing anything. Refusals that name no row stay errors: a role
that may not read at all (``ROLE``), and a client naming another user's id as the scope of a
list or of a contributed per-user field (``NOT_OWN``), which is decided by the id alone, before
any look-up, so it answers the same whether that user exists or not.

Sensitive fields (encrypted at rest) also need the scope ``pii:read``: :func:`open_sensitive`
refuses the field alone, so it resolves to null with a ``FORBIDDEN`` error on its path and the
rest of the response is intact. The one exception is self-access (issue 13.10): a client reading
a row that is its own (the resolver names the row's ``owner``) gets the field without the scope,
and the access audit records the event as self-access (:func:`is_self_access`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from strawberry.types import Info

from crypto import Principal, Sealable

from .errors import SubgraphError
from .sealing import open_field, open_optional_field

__all__ = [
    "ADMIN",
    "ADVISOR",
    "CLIENT",
    "COMPLIANCE",
    "PII_READ",
    "SERVICE",
    "STAFF",
    "Forbidden",
    "Unauthenticated",
    "client_user_filter",
    "is_client_only",
    "is_self_access",
    "may_see_row_of",
    "open_sensitive",
    "open_sensitive_optional",
    "principal_of",
    "require_role",
    "require_scope",
    "require_sensitive_read",
    "require_staff_or_own_client",
]

CLIENT: Final = "client"
ADVISOR: Final = "advisor"
COMPLIANCE: Final = "compliance"
ADMIN: Final = "admin"
SERVICE: Final = "service"
# Roles that read every client's data (the client role reads only its own).
STAFF: Final = frozenset({ADVISOR, COMPLIANCE, ADMIN})
PII_READ: Final = "pii:read"


class Unauthenticated(SubgraphError):
    """No valid internal token: the caller is unknown (HTTP 401 on REST)."""

    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "A valid internal token is required.") -> None:
        super().__init__(message)


class Forbidden(SubgraphError):
    """The caller is known but may not do this (HTTP 403 on REST).

    ``reason`` is ``ROLE`` (no role allows the action), ``NOT_OWN`` (a client reaching for
    someone else's data) or ``SCOPE`` (a sensitive field without ``pii:read``).
    """

    code = "FORBIDDEN"

    def __init__(self, message: str, *, reason: str, **extra: Any) -> None:
        super().__init__(message, reason=reason, **extra)


def principal_of(context: Any) -> Principal:
    """Return the request's principal; :class:`Unauthenticated` if the context has none."""
    principal = getattr(context, "principal", None)
    if not isinstance(principal, Principal):
        raise Unauthenticated()
    return principal


def require_role(principal: Principal, roles: Iterable[str], *, action: str) -> None:
    """Refuse ``action`` unless the principal holds one of ``roles``."""
    if principal.roles.isdisjoint(roles):
        raise Forbidden(f"Your role may not {action}.", reason="ROLE")


def is_client_only(principal: Principal) -> bool:
    """Whether the principal sees only its own data (a client with no staff or admin role)."""
    return CLIENT in principal.roles and principal.roles.isdisjoint(STAFF)


def may_see_row_of(principal: Principal, user_id: str | None, *, what: str) -> bool:
    """Whether one row of the user ``user_id`` (``None``: there is no such row) may be shown.

    Staff see every row and the client that is that user sees its own; for any other client the
    answer is no, and the caller must then answer exactly as for a row that does not exist (so a
    client cannot probe which ids exist). Any other role is refused (``ROLE``: "Your role may not
    read {what}.") whether or not the row exists, so call this for missing rows too.
    """
    if not principal.roles.isdisjoint(STAFF):
        return user_id is not None
    if CLIENT in principal.roles:
        return user_id is not None and user_id == principal.user_id
    raise Forbidden(f"Your role may not read {what}.", reason="ROLE")


def require_staff_or_own_client(principal: Principal, user_id: str, *, own: str, what: str) -> None:
    """Refuse reading data of the user ``user_id`` unless staff, or the client that is that user.

    For a scope the caller names by a user id (a user's accounts, transactions or KYC status),
    decided by the id alone, so the refusal says nothing about whether that user exists. A single
    row read by its own id uses :func:`may_see_row_of` instead. ``own`` and ``what`` end the
    refusals: "A client may read only its own {own}." (``NOT_OWN``)
    and "Your role may not read {what}." (``ROLE``).
    """
    if not principal.roles.isdisjoint(STAFF):
        return
    if CLIENT in principal.roles:
        if principal.user_id is not None and principal.user_id == user_id:
            return
        raise Forbidden(f"A client may read only its own {own}.", reason="NOT_OWN")
    raise Forbidden(f"Your role may not read {what}.", reason="ROLE")


def client_user_filter(
    principal: Principal, requested_user_id: str | None, *, own: str, what: str
) -> str | None:
    """Return the user filter a list must use: staff's as asked, a client's narrowed to itself.

    A client naming another user is refused (``NOT_OWN``), any other role too (``ROLE``). The
    refusal is decided by the id alone, before any look-up, so a user id that exists and one
    that does not are refused alike (nothing about existence leaks); the messages end with
    ``own`` and ``what`` as in :func:`require_staff_or_own_client`.
    """
    if not principal.roles.isdisjoint(STAFF):
        return requested_user_id
    if CLIENT in principal.roles and principal.user_id is not None:
        if requested_user_id is not None and requested_user_id != principal.user_id:
            raise Forbidden(f"A client may list only its own {own}.", reason="NOT_OWN")
        return principal.user_id
    raise Forbidden(f"Your role may not list {what}.", reason="ROLE")


def require_scope(principal: Principal, scope: str, *, field: str) -> None:
    """Refuse reading ``field`` unless the principal was granted ``scope``."""
    if scope not in principal.scopes:
        raise Forbidden(
            f"Reading {field} needs the scope {scope}.", reason="SCOPE", scope=scope, field=field
        )


def is_self_access(principal: Principal) -> bool:
    """Whether what this principal decrypts is its own data: a client-only caller with a user.

    Such a caller sees no other user's row at all (:func:`may_see_row_of`), and opens a sensitive
    field only of a row it owns (:func:`open_sensitive` with ``owner``), so every decryption made
    for it is self-access; the access audit records it as such.
    """
    return is_client_only(principal) and principal.user_id is not None


def require_sensitive_read(principal: Principal, *, field: str, owner: str | None) -> None:
    """Refuse reading the sensitive ``field`` unless ``pii:read``, or it is the client's own.

    ``owner`` is the user the row belongs to (``None``: data no client owns); the client that is
    that user reads it without the staff scope, and the audit records self-access.
    """
    if owner is not None and is_self_access(principal) and principal.user_id == owner:
        return
    require_scope(principal, PII_READ, field=field)


def _check_pii(info: Info[Any, Any], owner: str | None) -> None:
    require_sensitive_read(principal_of(info.context), field=info.field_name, owner=owner)


def open_sensitive(
    info: Info[Any, Any], row: Any, column: str, *, entity: str, owner: str | None = None
) -> Sealable:
    """Open a sensitive column for a field resolver, after checking the caller may read it.

    That is: the ``pii:read`` scope, or the caller is the client ``owner`` names (the user the
    row belongs to; ``None`` for data no client owns). The check comes first, so a refused field
    is never decrypted (and leaves no audit event).
    """
    _check_pii(info, owner)
    return open_field(info.context.require_encryption(), row, column, entity=entity)


def open_sensitive_optional(
    info: Info[Any, Any], row: Any, column: str, *, entity: str, owner: str | None = None
) -> Sealable | None:
    """Like :func:`open_sensitive` for a nullable column (NULL opens as ``None``)."""
    _check_pii(info, owner)
    return open_optional_field(info.context.require_encryption(), row, column, entity=entity)

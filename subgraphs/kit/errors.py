"""The errors a subgraph reports to its callers, and the codes they carry.

Every expected failure is one of these classes; the GraphQL layer renders each as a GraphQL error
whose ``extensions.code`` is the class's ``code`` (the REST shims map codes to HTTP statuses).
Anything else that escapes a resolver is unexpected and is masked before it leaves the service.

Hierarchy::

    SubgraphError                      (base, never raised directly)
    +-- BadUserInput           BAD_USER_INPUT          one or more input fields are invalid
    +-- NotFound               NOT_FOUND               the named entity does not exist
    +-- Conflict               CONFLICT                stale version, duplicate, idempotency clash
    |   +-- StaleVersion       CONFLICT                the ``version`` sent is not the current one
    +-- RuleViolation          RULE_VIOLATION          a domain rule refuses the change
    +-- DependencyUnavailable  DEPENDENCY_UNAVAILABLE  an owning subgraph could not be asked
                                                      (retryable)

Messages name fields and entities, never values: a value may be sensitive (an e-mail, an income),
and error messages end up in logs and on screens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "BadUserInput",
    "Conflict",
    "DependencyUnavailable",
    "FieldIssue",
    "NotFound",
    "RuleViolation",
    "StaleVersion",
    "SubgraphError",
    "require_version",
]


class SubgraphError(Exception):
    """An expected failure, shown to the caller with a stable ``code``."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self._extensions = {key: value for key, value in extensions.items() if value is not None}

    @property
    def extensions(self) -> dict[str, Any]:
        """The GraphQL ``extensions`` of this error: ``code`` first, then the details."""
        return {"code": self.code, **self._extensions}


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """One invalid input field: its GraphQL (camelCase) path and what is wrong with it."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class BadUserInput(SubgraphError):
    """Input that breaks a validation rule; nothing was written.

    ``extensions.field`` names the first bad field and ``extensions.fields`` lists every one,
    so a form (or the REST shim's problem document) can show them all at once.
    """

    code = "BAD_USER_INPUT"

    def __init__(self, issues: FieldIssue | Iterable[FieldIssue]) -> None:
        self.issues: tuple[FieldIssue, ...] = (
            (issues,) if isinstance(issues, FieldIssue) else tuple(issues)
        )
        if not self.issues:
            raise ValueError("BadUserInput needs at least one field issue")
        message = "; ".join(f"{issue.field}: {issue.message}" for issue in self.issues)
        super().__init__(
            f"Invalid input. {message}",
            field=self.issues[0].field,
            fields=[issue.as_dict() for issue in self.issues],
        )

    @classmethod
    def single(cls, field: str, message: str) -> BadUserInput:
        """Return the error for one bad field."""
        return cls(FieldIssue(field, message))


class NotFound(SubgraphError):
    """The entity the operation names does not exist."""

    code = "NOT_FOUND"

    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(f"{entity} {entity_id} was not found.", entity=entity, id=entity_id)


class Conflict(SubgraphError):
    """The change collides with the current state: a stale ``version``, a duplicate, a key clash.

    ``reason`` is a stable machine-readable word (``STALE_VERSION``, ``DUPLICATE``, ...).
    """

    code = "CONFLICT"

    def __init__(
        self, message: str, *, reason: str, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message, reason=reason, field=field, **extra)


class StaleVersion(Conflict):
    """An update named a ``version`` that is no longer the current one (reason ``STALE_VERSION``).

    ``subject`` starts the message (``"The user"``). With ``current_version`` the caller read an
    old version (the current one goes into ``extensions.currentVersion``); without it another
    writer won a race at flush time, and the version it wrote is not known here.
    """

    def __init__(
        self, subject: str, *, current_version: int | None = None, verb: str = "changed"
    ) -> None:
        if current_version is None:
            super().__init__(
                f"{subject} was {verb} by someone else; read it again and retry.",
                reason="STALE_VERSION",
                field="version",
            )
        else:
            super().__init__(
                f"{subject} was {verb} since this version was read; read it again and retry.",
                reason="STALE_VERSION",
                field="version",
                currentVersion=current_version,
            )


def require_version(subject: str, current: int, sent: int, *, verb: str = "changed") -> None:
    """Raise :class:`StaleVersion` unless the ``version`` the caller ``sent`` is ``current``."""
    if current != sent:
        raise StaleVersion(subject, current_version=current, verb=verb)


class RuleViolation(SubgraphError):
    """A domain rule refuses an otherwise well-formed change (a forbidden status move, ...)."""

    code = "RULE_VIOLATION"

    def __init__(
        self, message: str, *, reason: str, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message, reason=reason, field=field, **extra)


class DependencyUnavailable(SubgraphError):
    """Another subgraph that must be asked could not answer; the caller may retry later."""

    code = "DEPENDENCY_UNAVAILABLE"

    def __init__(self, dependency: str, detail: str | None = None) -> None:
        message = (
            f"The {dependency} service could not be reached; nothing was written. Retry later."
        )
        super().__init__(message, dependency=dependency, retryable=True, detail=detail)

"""Errors of query planning."""

from __future__ import annotations


class PlanningError(Exception):
    """The operation cannot be planned over this supergraph (a field nobody can reach)."""


class OperationNotFound(PlanningError):
    """The document has no operation of that name, or several and no name was given."""


class UnsupportedOperation(PlanningError):
    """A valid operation this router does not execute (subscriptions)."""

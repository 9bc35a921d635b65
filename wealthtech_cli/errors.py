"""The one error operator commands raise for a refusal the operator can fix."""

from __future__ import annotations

__all__ = ["CommandError"]


class CommandError(Exception):
    """A refusal with a message for the operator; the command exits with status 2."""

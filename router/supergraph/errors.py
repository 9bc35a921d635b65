"""Errors raised while loading a supergraph SDL."""

from __future__ import annotations


class SupergraphError(ValueError):
    """The supergraph SDL cannot be used: unparsable, missing the join spec, or inconsistent."""

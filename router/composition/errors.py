"""Composition errors: every problem found in the subgraphs, each with a stable code.

Codes follow Apollo Federation's composition error codes (``FIELD_TYPE_MISMATCH``,
``INVALID_FIELD_SHARING``, ...) so that a message can be looked up in Apollo's documentation and
compared with what other composers (rover, ``@theguild/federation-composition``) report. The few
codes of our own (``INVALID_SUBGRAPH_NAME``, ``UNSUPPORTED_FEDERATION_FEATURE``) say so in their
message.

Hierarchy::

    CompositionError (Exception)      raised by compose(); .issues lists every problem found
    CompositionIssue (dataclass)      one problem: code, message, subgraphs, coordinate
    SubgraphFetchError (Exception)    fetching `_service { sdl }` from a running subgraph failed
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CompositionIssue:
    """One composition problem.

    ``message`` is a full sentence naming the subgraph(s), the type and the field involved;
    ``coordinate`` is the schema coordinate (``Type`` or ``Type.field``) when there is one.
    """

    code: str
    message: str
    subgraphs: tuple[str, ...] = ()
    coordinate: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class CompositionError(Exception):
    """The subgraphs do not compose; ``issues`` lists every problem found (never empty)."""

    issues: Sequence[CompositionIssue] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    @property
    def codes(self) -> list[str]:
        """The issue codes, in the order they were found."""
        return [issue.code for issue in self.issues]

    def __str__(self) -> str:
        count = len(self.issues)
        lines = [f"composition failed with {count} error{'s' if count != 1 else ''}:"]
        lines.extend(f"  - {issue}" for issue in self.issues)
        return "\n".join(lines)


class SubgraphFetchError(Exception):
    """A subgraph's SDL could not be fetched over HTTP (unreachable, bad answer, no SDL)."""

    def __init__(self, subgraph: str, url: str, reason: str) -> None:
        self.subgraph = subgraph
        self.url = url
        self.reason = reason
        super().__init__(f"cannot fetch the SDL of subgraph {subgraph!r} from {url}: {reason}")

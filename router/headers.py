"""Header propagation rules: which client request headers reach which subgraphs, and as what.

A rule either copies one client header (``propagate``, optionally under another name:
``rename``) or sends a fixed header (``insert`` with ``value``). Rules are grouped by subgraph
name, ``all`` applying to every subgraph (``ROUTER_HEADER_RULES``, e.g.
``{"all": [{"propagate": "x-tenant"}], "users": [{"insert": "x-source", "value": "router"}]}``).
They come on top of ``forward_headers`` (the internal token and the request id, set by the
security layer); nothing else a client sends reaches a subgraph.

The rules are compiled once (:class:`HeaderPlan`) against the supergraph's subgraph names, so a
rule naming no subgraph, a header the HTTP client writes itself, or the router's own identity
headers are refused at startup with the rule's place in the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["ALL_SUBGRAPHS", "HeaderPlan", "HeaderRule", "compile_header_rules"]

ALL_SUBGRAPHS = "all"
# RFC 9110 field names: a token.
_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# Hop-by-hop and framing fields: the subgraph client writes its own, never a client's copy.
FRAMING_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-connection",
        "content-type",
        "accept",
    }
)
# Written by the subgraph client or the security layer: a rule must not send a second copy.
_RESERVED = FRAMING_HEADERS | {"x-internal-token", "x-request-id"}


class HeaderRule(BaseModel):
    """One rule: ``{"propagate": NAME[, "rename": NAME]}`` or ``{"insert": NAME, "value": V}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    propagate: str | None = None
    rename: str | None = None
    insert: str | None = None
    value: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> HeaderRule:
        if (self.propagate is None) == (self.insert is None):
            raise ValueError("a header rule has exactly one of 'propagate' and 'insert'")
        if self.insert is not None and self.value is None:
            raise ValueError("an 'insert' header rule needs a 'value'")
        if self.propagate is not None and self.value is not None:
            raise ValueError("a 'propagate' header rule takes no 'value' (use 'insert')")
        if self.insert is not None and self.rename is not None:
            raise ValueError("'rename' goes with 'propagate', not with 'insert'")
        for name in (self.propagate, self.rename, self.insert):
            if name is not None and not _NAME.match(name):
                raise ValueError(f"{name!r} is not a valid header name")
        if self.value is not None and any(c in self.value for c in "\r\n\x00"):
            raise ValueError("a header value must not contain CR, LF or NUL")
        return self

    @property
    def target(self) -> str:
        """The header's name at the subgraph (lower case)."""
        return (self.insert or self.rename or self.propagate or "").lower()


@dataclass(frozen=True)
class _Compiled:
    copies: tuple[tuple[str, str], ...] = ()  # (client header, subgraph header)
    fixed: tuple[tuple[str, str], ...] = ()  # (subgraph header, value)

    def apply(self, incoming: Mapping[str, str], into: dict[str, str]) -> None:
        for source, target in self.copies:
            value = incoming.get(source)
            if value is not None:
                into[target] = value
        for target, value in self.fixed:
            into[target] = value


@dataclass(frozen=True)
class HeaderPlan:
    """The compiled rules: what every subgraph gets, and what each one gets on top."""

    forward: tuple[str, ...] = ()
    common: _Compiled = field(default_factory=_Compiled)
    per_subgraph: Mapping[str, _Compiled] = field(default_factory=dict)

    @property
    def has_rules(self) -> bool:
        return bool(self.common.copies or self.common.fixed or self.per_subgraph)

    def headers(self, incoming: Mapping[str, str]) -> dict[str, str]:
        """Return the headers every subgraph request of this client request carries."""
        found = {name: value for name in self.forward if (value := incoming.get(name)) is not None}
        self.common.apply(incoming, found)
        return found

    def subgraph_headers(self, incoming: Mapping[str, str]) -> dict[str, dict[str, str]]:
        """Return the headers only some subgraphs get, by subgraph name (empty without rules)."""
        extra: dict[str, dict[str, str]] = {}
        for subgraph, compiled in self.per_subgraph.items():
            headers: dict[str, str] = {}
            compiled.apply(incoming, headers)
            if headers:
                extra[subgraph] = headers
        return extra


def compile_header_rules(
    rules: Mapping[str, Iterable[HeaderRule]],
    subgraphs: Iterable[str],
    *,
    forward: Iterable[str] = (),
    authorization_allowed: bool = False,
) -> HeaderPlan:
    """Check ``rules`` against the supergraph's ``subgraphs`` and compile them.

    ``ValueError`` names the offending rule: a key that is neither ``all`` nor a subgraph, a
    reserved header (framing, the internal token, the request id), or ``authorization`` when
    the router authenticates callers itself (``authorization_allowed``: authentication is off).
    """
    # Imported here: router.settings imports HeaderRule from this module.
    from router.settings import subgraph_env_key

    names = list(subgraphs)
    by_key = {subgraph_env_key(name): name for name in names}
    common = _Compiled()
    per_subgraph: dict[str, _Compiled] = {}
    for key, listed in rules.items():
        where = f"header rules of {key!r}"
        subgraph = None if key.lower() == ALL_SUBGRAPHS else by_key.get(subgraph_env_key(key))
        if subgraph is None and key.lower() != ALL_SUBGRAPHS:
            known = ", ".join(sorted(names))
            raise ValueError(f"{where}: no such subgraph (known: {known}, or 'all')")
        compiled = _compile(list(listed), where, authorization_allowed=authorization_allowed)
        if subgraph is None:
            common = _merge(common, compiled)
        else:
            per_subgraph[subgraph] = _merge(per_subgraph.get(subgraph, _Compiled()), compiled)
    return HeaderPlan(
        forward=tuple(name.lower() for name in forward), common=common, per_subgraph=per_subgraph
    )


def _compile(rules: list[HeaderRule], where: str, *, authorization_allowed: bool) -> _Compiled:
    copies: list[tuple[str, str]] = []
    fixed: list[tuple[str, str]] = []
    for index, rule in enumerate(rules):
        target = rule.target
        if target in _RESERVED:
            raise ValueError(
                f"{where}[{index}]: {target!r} is written by the router itself and cannot be set "
                "by a rule"
            )
        source = rule.propagate.lower() if rule.propagate is not None else None
        if "authorization" in (source, target) and not authorization_allowed:
            raise ValueError(
                f"{where}[{index}]: 'authorization' can be propagated only with "
                "ROUTER_AUTH_MODE=off; subgraphs get the caller's identity in X-Internal-Token"
            )
        if source is not None:
            copies.append((source, target))
        else:
            fixed.append((target, rule.value or ""))
    return _Compiled(tuple(copies), tuple(fixed))


def _merge(first: _Compiled, second: _Compiled) -> _Compiled:
    return _Compiled(first.copies + second.copies, first.fixed + second.fixed)

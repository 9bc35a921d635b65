"""Mutable selection trees the planner fills per fetch, and their printing.

Fields are keyed by response key plus printed directives, so `a @include(if: $x)` and a plain `a`
stay two selections (the subgraph merges them by the GraphQL rules); fragments by type condition
plus directives.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SelField:
    response_key: str
    name: str
    arguments: str  # "(a: 1, b: $v)" or ""
    directives: str  # " @include(if: $x)" or ""
    sub: SelSet | None = None


@dataclass
class SelFragment:
    type_condition: str | None
    directives: str
    sub: SelSet = field(default_factory=lambda: SelSet())


@dataclass
class SelSet:
    items: dict[str, SelField | SelFragment] = field(default_factory=dict)

    def field(
        self, response_key: str, name: str, arguments: str = "", directives: str = "", *, leaf: bool
    ) -> SelField:
        """Return the field with this response key and directives, adding it if absent."""
        key = response_key + directives
        item = self.items.get(key)
        if isinstance(item, SelField):
            return item
        created = SelField(response_key, name, arguments, directives, None if leaf else SelSet())
        self.items[key] = created
        return created

    def fragment(self, type_condition: str | None, directives: str = "") -> SelSet:
        key = f"...{type_condition or ''}{directives}"
        item = self.items.get(key)
        if isinstance(item, SelFragment):
            return item.sub
        created = SelFragment(type_condition, directives)
        self.items[key] = created
        return created.sub

    def is_empty(self) -> bool:
        return not self.items

    def compact(self) -> str:
        """Print as `{a b{c}}`, the form sent to subgraphs."""
        parts: list[str] = []
        for item in self.items.values():
            if isinstance(item, SelField):
                alias = f"{item.response_key}:" if item.response_key != item.name else ""
                text = f"{alias}{item.name}{item.arguments}{item.directives}"
                if item.sub is not None:
                    text += item.sub.compact()
                parts.append(text)
            else:
                condition = f" on {item.type_condition}" if item.type_condition else ""
                parts.append(f"...{condition}{item.directives}{item.sub.compact()}")
        return "{" + " ".join(parts) + "}"

    def pretty(self, indent: int = 0) -> list[str]:
        """Print one selection per line, indented by two spaces per level."""
        pad = "  " * indent
        lines = ["{"]
        for item in self.items.values():
            if isinstance(item, SelField):
                alias = f"{item.response_key}: " if item.response_key != item.name else ""
                head = f"{pad}  {alias}{item.name}{item.arguments}{item.directives}"
                if item.sub is None:
                    lines.append(head)
                else:
                    sub = item.sub.pretty(indent + 1)
                    lines.append(f"{head} {sub[0]}")
                    lines += sub[1:]
            else:
                condition = f" on {item.type_condition}" if item.type_condition else ""
                sub = item.sub.pretty(indent + 1)
                lines.append(f"{pad}  ...{condition}{item.directives} {sub[0]}")
                lines += sub[1:]
        lines.append(pad + "}")
        return lines

"""GraphQL types shared by every subgraph: ``Money``, ``MoneyInput``, ``PageInfo`` and connections.

Value types that several subgraphs return (``Money``, ``PageInfo``) are ``@shareable`` so the
supergraph composes; they must be declared identically everywhere, hence here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Generic, TypeVar

import strawberry

from .money import Money
from .pagination import Page

__all__ = ["Connection", "Edge", "MoneyInput", "MoneyType", "PageInfo", "connection_from_page"]

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")


@strawberry.federation.type(name="Money", shareable=True, description="An exact amount of money.")
class MoneyType:
    amount: Decimal = strawberry.field(description='Decimal string, e.g. "1500.00".')
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. GBP.")

    @classmethod
    def from_money(cls, money: Money) -> MoneyType:
        """Return the GraphQL value of a domain Money."""
        return cls(amount=money.amount, currency=money.currency)


@strawberry.input(description="An exact amount of money.")
class MoneyInput:
    amount: Decimal = strawberry.field(description='Decimal string, e.g. "1500.00".')
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. GBP.")


@strawberry.federation.type(shareable=True, description="Where a page of a list ends.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` to get the next page; null on an empty page."
    )


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of `edges`, for callers that need no cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def connection_from_page(page: Page[RowT], to_node: Callable[[RowT], NodeT]) -> Connection[NodeT]:
    """Turn a repository :class:`Page` of rows into a GraphQL connection of nodes."""
    edges: Sequence[Edge[NodeT]] = [
        Edge(cursor=cursor, node=to_node(row))
        for row, cursor in zip(page.items, page.cursors, strict=True)
    ]
    return Connection(
        edges=list(edges),
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    )

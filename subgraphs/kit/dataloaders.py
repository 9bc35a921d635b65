"""Per-request DataLoaders, so that a batch of N references costs one SQL query.

A loader is created on first use within one request and reused by every resolver of that
request; it never outlives the request, so it cannot serve stale rows or leak rows between
callers. Batch functions take the request context and the keys::

    async def load_users(context: SubgraphContext, ids: list[str]) -> list[UserRow | None]:
        return await UserRepository(context.session).get_many(ids)

    row = await info.context.loaders.get(load_users).load(user_id)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

__all__ = ["BatchFunction", "Loaders", "ordered_by_keys"]

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")
RowT = TypeVar("RowT")

BatchFunction = Callable[[Any, list[KeyT]], Awaitable[Sequence[ValueT]]]


class Loaders:
    """The DataLoaders of one request, keyed by their batch function."""

    def __init__(self, context: Any) -> None:
        self._context = context
        self._loaders: dict[object, DataLoader[Any, Any]] = {}

    def get(self, batch: BatchFunction[KeyT, ValueT]) -> DataLoader[KeyT, ValueT]:
        """Return this request's loader for ``batch``, creating it on first use."""
        loader = self._loaders.get(batch)
        if loader is None:
            context = self._context

            async def load_fn(keys: list[KeyT]) -> Sequence[ValueT]:
                return await batch(context, list(keys))

            loader = DataLoader(load_fn=load_fn)
            self._loaders[batch] = loader
        return loader


def ordered_by_keys(
    keys: Sequence[KeyT], rows: Sequence[RowT], key_of: Callable[[RowT], KeyT]
) -> list[RowT | None]:
    """Return ``rows`` rearranged to match ``keys`` (``None`` where a key has no row)."""
    by_key = {key_of(row): row for row in rows}
    return [by_key.get(key) for key in keys]

"""The per-request GraphQL context every subgraph resolver receives as ``info.context``.

It carries the verified caller (``principal``), the request's database session (committed or
rolled back by the request dependency, never by services), the long-lived encryption services
(the crypto extension opens a session per operation and stores it as ``context.encryption``),
the request's DataLoaders, the settings and
the clients of owning subgraphs (bound to the request's internal token: an owner check runs
with the caller's identity).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.fastapi import BaseContext

from .dataloaders import Loaders

if TYPE_CHECKING:
    from crypto import EncryptionServices, EncryptionSession, Principal

    from .owners import OwnerClient
    from .settings import SubgraphSettings

__all__ = ["RequestTransaction", "SubgraphContext"]


@dataclass
class RequestTransaction:
    """Whether the request's writes may be committed.

    The GraphQL layer marks the transaction ``failed`` as soon as the operation reports an error:
    a refused mutation must leave nothing behind, even what an earlier step already flushed.
    """

    failed: bool = False


@dataclass(eq=False)
class SubgraphContext(BaseContext):
    """Everything a resolver may use; built once per HTTP request."""

    session: AsyncSession
    encryption_services: EncryptionServices
    settings: SubgraphSettings
    transaction: RequestTransaction
    owners: dict[str, OwnerClient] = field(default_factory=dict)
    # The caller the router vouched for (kit.authentication); every request through the app has one.
    principal: Principal | None = None
    # Set by crypto's EncryptionSessionExtension when the operation starts.
    encryption: EncryptionSession | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        super().__init__()
        self.loaders = Loaders(self)

    def owner(self, name: str) -> OwnerClient:
        """Return the client of the owning subgraph ``name`` (configured in the settings)."""
        return self.owners[name]

    def require_principal(self) -> Principal:
        """Return the request's principal (``UNAUTHENTICATED`` if there is none)."""
        from .authorization import principal_of

        return principal_of(self)

    def require_encryption(self) -> EncryptionSession:
        """Return the operation's encryption session (a kit schema always opens one)."""
        if self.encryption is None:
            raise RuntimeError("no encryption session: is EncryptionSessionExtension installed?")
        return self.encryption

    def __repr__(self) -> str:
        return f"SubgraphContext(subgraph={self.settings.subgraph!r})"

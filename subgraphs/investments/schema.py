"""The investments GraphQL schema: ``InvestmentAccount``, ``User.investmentAccounts``, operations.

Resolvers are thin: they convert input, call the service or a DataLoader, and wrap rows in
types. The sealed client reference is opened by its own resolver, only when a caller selects it.

``User`` is owned by the users subgraph; here it is an entity stub that carries its id and gains
``investmentAccounts``, loaded for every user of a request in one SQL query.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.kit import (
    Connection,
    Page,
    SubgraphContext,
    check_page_size,
    connection_from_page,
    create_schema,
    decode_cursor,
    open_sensitive,
)

from .domain import InvestmentAccountStatus, InvestmentAccountType
from .models import InvestmentAccountRow
from .repository import AccountFilter, InvestmentAccountRepository
from .service import (
    ENTITY,
    InvestmentAccountService,
    InvestmentAccountUpdate,
    NewInvestmentAccount,
)

__all__ = ["schema"]

# The domain enums are the GraphQL enums (same names, same members).
for _enum in (InvestmentAccountStatus, InvestmentAccountType):
    strawberry.enum(_enum)

DEFAULT_PAGE_SIZE = 20


# -- DataLoader batch functions ------------------------------------------------------------------


async def load_accounts(
    context: SubgraphContext, ids: list[str]
) -> list[InvestmentAccountRow | None]:
    """Every account a request asks for by id (queries and ``_entities``), in one query."""
    return await InvestmentAccountRepository(context.session).get_many(ids)


@dataclass(frozen=True, slots=True)
class UserAccountsKey:
    """One ``User.investmentAccounts`` field: whose accounts, which filters, which page."""

    user_id: str
    account_type: str | None
    status: str | None
    first: int | None
    after: str | None


async def load_user_account_pages(
    context: SubgraphContext, keys: list[UserAccountsKey]
) -> list[Page[InvestmentAccountRow]]:
    """Pages of accounts for N users: one query per distinct (filter, page) argument set.

    A router asks for the same arguments on every user of a list, so N users cost one query.
    """
    repository = InvestmentAccountRepository(context.session)
    groups: dict[tuple[str | None, str | None, int | None, str | None], list[str]] = defaultdict(
        list
    )
    for key in keys:
        groups[(key.account_type, key.status, key.first, key.after)].append(key.user_id)
    pages: dict[UserAccountsKey, Page[InvestmentAccountRow]] = {}
    for (account_type, status, first, after), user_ids in groups.items():
        by_user = await repository.pages_by_user(
            user_ids,
            AccountFilter(account_type=account_type, status=status),
            first=first,
            after=after,
        )
        for user_id, page in by_user.items():
            pages[UserAccountsKey(user_id, account_type, status, first, after)] = page
    return [pages[key] for key in keys]


def _service(info: Info[SubgraphContext, Any]) -> InvestmentAccountService:
    context = info.context
    return InvestmentAccountService(
        InvestmentAccountRepository(context.session),
        context.require_encryption(),
        context.owners.get("users"),
        principal=context.require_principal(),
    )


# -- types ----------------------------------------------------------------------------------------


@strawberry.input(description="Equality filters on one user's accounts; omitted ones match all.")
class UserInvestmentAccountsFilter:
    account_type: InvestmentAccountType | None = None
    status: InvestmentAccountStatus | None = None


# No description: the owner's (users subgraph) describes User in the supergraph.
@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        # The users subgraph answers whether the user exists; a stub is all this side needs.
        return cls(id=id)

    @strawberry.field(description="The user's investment accounts in creation order, by page.")
    async def investment_accounts(
        self,
        info: Info[SubgraphContext, Any],
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        filter: UserInvestmentAccountsFilter | None = None,
    ) -> Connection[InvestmentAccount] | None:
        # Refuse bad arguments here, so the error belongs to this field and not to the batch.
        check_page_size(first)
        if after is not None:
            decode_cursor(after)
        key = UserAccountsKey(
            user_id=str(self.id),
            account_type=filter.account_type.value if filter and filter.account_type else None,
            status=filter.status.value if filter and filter.status else None,
            first=first,
            after=after,
        )
        _service(info).authorize_user_accounts(str(self.id))
        page = await info.context.loaders.get(load_user_account_pages).load(key)
        return connection_from_page(page, InvestmentAccount.from_row)


@strawberry.federation.type(keys=["id"], description="An investment account of one user.")
class InvestmentAccount:
    id: strawberry.ID
    user_id: strawberry.ID = strawberry.field(
        description="The id of `user` (for callers that check an account without a join)."
    )
    account_type: InvestmentAccountType
    name: str
    currency: str = strawberry.field(description="ISO 4217 currency code of the account.")
    status: InvestmentAccountStatus
    opened_at: dt.datetime | None = strawberry.field(
        description="When the account first became ACTIVE."
    )
    closed_at: dt.datetime | None = strawberry.field(description="When the account was CLOSED.")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = strawberry.field(
        description="Increases with every change; send it back to update."
    )
    row: strawberry.Private[InvestmentAccountRow]

    @classmethod
    def from_row(cls, row: InvestmentAccountRow) -> InvestmentAccount:
        return cls(
            id=strawberry.ID(row.id),
            user_id=strawberry.ID(row.user_id),
            account_type=InvestmentAccountType(row.account_type),
            name=row.name,
            currency=row.currency,
            status=InvestmentAccountStatus(row.status),
            opened_at=row.opened_at,
            closed_at=row.closed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            row=row,
        )

    @classmethod
    async def resolve_reference(
        cls, info: Info[SubgraphContext, Any], id: strawberry.ID
    ) -> InvestmentAccount | None:
        row = await info.context.loaders.get(load_accounts).load(str(id))
        # Asked for missing rows too, so a role that reads no accounts is refused either way;
        # another client's account is answered like a missing one (null, no error, not opened).
        visible = _service(info).may_read(row)
        if row is None or not visible:
            return None
        return cls.from_row(row)

    @strawberry.field(description="The account holder.")
    def user(self) -> User | None:
        return User(id=self.user_id)

    @strawberry.field(
        description="The client's own reference, unique per user; encrypted at rest; "
        "needs the scope pii:read (a client reads its own without it)."
    )
    def client_reference(self, info: Info[SubgraphContext, Any]) -> str | None:
        # Null with a FORBIDDEN error on this path without pii:read; the account still shows.
        # A client reads its own account's reference without the scope (self-access).
        return str(
            open_sensitive(
                info, self.row, "client_reference", entity=ENTITY, owner=self.row.user_id
            )
        )


@strawberry.input(description="Equality filters; omitted ones match everything.")
class InvestmentAccountFilter:
    user_id: strawberry.ID | None = None
    account_type: InvestmentAccountType | None = None
    status: InvestmentAccountStatus | None = None


@strawberry.input(description="A new account; it starts PENDING.")
class CreateInvestmentAccountInput:
    user_id: strawberry.ID
    client_reference: str = strawberry.field(description="1 to 50 characters, unique per user.")
    account_type: InvestmentAccountType
    name: str = strawberry.field(description="1 to 100 characters.")
    currency: str = strawberry.field(default="GBP", description="ISO 4217 currency code.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Optional client key (1-255 printable ASCII characters, no spaces). A retry "
        "with the same key and the same input returns the account the first request created "
        "and creates nothing; the same key with another input is a CONFLICT "
        "(IDEMPOTENCY_KEY_REUSED).",
    )


@strawberry.input(
    description="Names only the fields to change, and the version that was read. "
    "`status` moves along the lifecycle; `accountType` and `currency` change only while PENDING."
)
class UpdateInvestmentAccountInput:
    id: strawberry.ID
    version: int
    client_reference: str | None = strawberry.UNSET
    account_type: InvestmentAccountType | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    status: InvestmentAccountStatus | None = strawberry.UNSET


# -- operations -----------------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(description="An investment account by id; null if there is none.")
    async def investment_account(
        self, info: Info[SubgraphContext, Any], id: strawberry.ID
    ) -> InvestmentAccount | None:
        return await InvestmentAccount.resolve_reference(info, id)

    @strawberry.field(description="The user's account with this client reference; null if none.")
    async def investment_account_by_reference(
        self, info: Info[SubgraphContext, Any], user_id: strawberry.ID, client_reference: str
    ) -> InvestmentAccount | None:
        row = await _service(info).find_by_reference(str(user_id), client_reference)
        return InvestmentAccount.from_row(row) if row is not None else None

    @strawberry.field(description="Investment accounts in creation order, a page at a time.")
    async def investment_accounts(
        self,
        info: Info[SubgraphContext, Any],
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        filter: InvestmentAccountFilter | None = None,
    ) -> Connection[InvestmentAccount]:
        filters = AccountFilter(
            user_id=str(filter.user_id).strip() if filter and filter.user_id else None,
            account_type=filter.account_type.value if filter and filter.account_type else None,
            status=filter.status.value if filter and filter.status else None,
        )
        page = await _service(info).list(filters, first=first, after=after)
        return connection_from_page(page, InvestmentAccount.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Open a PENDING account for an existing user who is not CLOSED."
    )
    async def create_investment_account(
        self, info: Info[SubgraphContext, Any], input: CreateInvestmentAccountInput
    ) -> InvestmentAccount:
        row = await _service(info).create(
            NewInvestmentAccount(
                user_id=str(input.user_id),
                client_reference=input.client_reference,
                account_type=input.account_type,
                name=input.name,
                currency=input.currency,
                idempotency_key=input.idempotency_key,
            )
        )
        return InvestmentAccount.from_row(row)

    @strawberry.mutation(
        description="Change the named fields (and status, along the allowed moves); "
        "a stale version is a CONFLICT."
    )
    async def update_investment_account(
        self, info: Info[SubgraphContext, Any], input: UpdateInvestmentAccountInput
    ) -> InvestmentAccount:
        changes: dict[str, Any] = {}
        for name in ("client_reference", "account_type", "name", "currency", "status"):
            value = getattr(input, name)
            if value is not strawberry.UNSET:
                changes[name] = value
        row = await _service(info).update(
            InvestmentAccountUpdate(
                account_id=str(input.id), version=input.version, changes=changes
            )
        )
        return InvestmentAccount.from_row(row)


schema = create_schema(query=Query, mutation=Mutation, types=[InvestmentAccount, User])

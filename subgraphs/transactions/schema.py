"""The transactions GraphQL schema: ``Transaction``, its queries, mutations and contributions.

Besides its own entity, this subgraph contributes fields to ``User`` and ``InvestmentAccount``.

Resolvers are thin: they convert input, call the service or a DataLoader, and wrap rows in
types. Amounts are opened by their own resolvers, only when a caller selects them. Every batch
(``_entities``, a list field on N parents, cash figures of N accounts) goes through a
per-request DataLoader and costs one SQL query.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.kit import (
    BadUserInput,
    Connection,
    Money,
    MoneyType,
    Page,
    SubgraphContext,
    check_page_size,
    connection_from_page,
    create_schema,
    decode_cursor,
    require_sensitive_read,
)
from subgraphs.kit.pagination import DEFAULT_PAGE_SIZE

from .domain import TransactionStatus, TransactionType
from .models import TransactionRow
from .repository import TransactionFilter as TransactionFilterData
from .repository import TransactionRepository
from .service import AccountCash, NewTransaction, TransactionService, TransactionUpdate

__all__ = ["schema"]

# The domain enums are the GraphQL enums (same names, same members).
for _enum in (TransactionType, TransactionStatus):
    strawberry.enum(_enum)

ENTITY = "Transaction"


def _service(info: Info[SubgraphContext, Any]) -> TransactionService:
    return _service_of(info.context)


def _service_of(context: SubgraphContext) -> TransactionService:
    return TransactionService(
        TransactionRepository(context.session),
        context.require_encryption(),
        accounts=context.owners.get("investments"),
        principal=context.require_principal(),
    )


def _require_amounts(info: Info[SubgraphContext, Any], row: TransactionRow) -> None:
    # pii:read, or the client whose transaction it is (self-access, audited as such).
    principal = info.context.require_principal()
    require_sensitive_read(principal, field=info.field_name, owner=row.user_id)


# -- DataLoader batch functions -------------------------------------------------------------------


async def load_transactions(
    context: SubgraphContext, ids: list[str]
) -> list[TransactionRow | None]:
    """Every transaction a request asks for by id (queries and ``_entities``), in one query."""
    return await TransactionRepository(context.session).get_many(ids)


@dataclass(frozen=True, slots=True)
class ChildPageKey:
    """One contributed ``transactions`` field: whose, which filters, which page."""

    parent_id: str
    filters: TransactionFilterData
    first: int | None
    after: str | None


async def _load_child_pages(
    context: SubgraphContext, parent_column: str, keys: list[ChildPageKey]
) -> list[Page[TransactionRow]]:
    # A router asks the same arguments of every parent in a list: N parents cost one query.
    repository = TransactionRepository(context.session)
    groups: dict[tuple[TransactionFilterData, int | None, str | None], list[str]] = defaultdict(
        list
    )
    for key in keys:
        groups[(key.filters, key.first, key.after)].append(key.parent_id)
    pages: dict[ChildPageKey, Page[TransactionRow]] = {}
    for (filters, first, after), parent_ids in groups.items():
        found = await repository.pages_by_parent(
            parent_column, parent_ids, filters, first=first, after=after
        )
        for parent_id, page in zip(parent_ids, found, strict=True):
            pages[ChildPageKey(parent_id, filters, first, after)] = page
    return [pages[key] for key in keys]


async def load_account_pages(
    context: SubgraphContext, keys: list[ChildPageKey]
) -> list[Page[TransactionRow]]:
    """``InvestmentAccount.transactions`` of N accounts."""
    return await _load_child_pages(context, "account_id", keys)


async def load_user_pages(
    context: SubgraphContext, keys: list[ChildPageKey]
) -> list[Page[TransactionRow]]:
    """``User.transactions`` of N users."""
    return await _load_child_pages(context, "user_id", keys)


async def load_account_access(context: SubgraphContext, account_ids: list[str]) -> list[bool]:
    """Whether the caller may see these accounts' figures (a client: its own), asked once."""
    return await _service_of(context).visible_accounts(account_ids)


# What an account the caller may not see shows: what an account that does not exist shows.
_NO_TRANSACTIONS: Page[TransactionRow] = Page(items=(), has_next_page=False)
_NO_CASH = AccountCash(currency=None)


async def load_account_cash(context: SubgraphContext, account_ids: list[str]) -> list[AccountCash]:
    """Load the counted movements of N accounts (for ``cashBalance`` and ``availableCash``)."""
    service = TransactionService(
        TransactionRepository(context.session), context.require_encryption()
    )
    return await service.account_cash(account_ids)


# -- inputs ---------------------------------------------------------------------------------------


@strawberry.input(description="Filters of a transaction list; omitted ones match everything.")
class TransactionFilter:
    account_id: strawberry.ID | None = None
    user_id: strawberry.ID | None = None
    type: TransactionType | None = None
    status: TransactionStatus | None = None
    trade_date_from: dt.date | None = strawberry.field(
        default=None, description="Trade date on or after this day."
    )
    trade_date_to: dt.date | None = strawberry.field(
        default=None, description="Trade date on or before this day."
    )


def _filter_data(value: TransactionFilter | None) -> TransactionFilterData:
    if value is None:
        return TransactionFilterData()
    if (
        value.trade_date_from is not None
        and value.trade_date_to is not None
        and value.trade_date_to < value.trade_date_from
    ):
        raise BadUserInput.single("filter.tradeDateTo", "must be on or after tradeDateFrom")
    return TransactionFilterData(
        account_id=str(value.account_id) if value.account_id is not None else None,
        user_id=str(value.user_id) if value.user_id is not None else None,
        type=value.type.value if value.type else None,
        status=value.status.value if value.status else None,
        trade_date_from=value.trade_date_from,
        trade_date_to=value.trade_date_to,
    )


def _child_key(
    parent_id: str, first: int | None, after: str | None, filter: TransactionFilter | None
) -> ChildPageKey:
    # Refuse bad arguments here, so the error belongs to this field and not to the batch.
    check_page_size(first)
    if after is not None:
        decode_cursor(after)
    return ChildPageKey(parent_id, _filter_data(filter), first, after)


@strawberry.input(description="A deposit, withdrawal, trade, charge, dividend or interest.")
class CreateTransactionInput:
    account_id: strawberry.ID = strawberry.field(
        description="An ACTIVE account; the transaction takes its user and currency."
    )
    type: TransactionType
    consideration_amount: Decimal = strawberry.field(
        description="Greater than 0, in the account's currency. Encrypted at rest."
    )
    charges_amount: Decimal | None = strawberry.field(
        default=None, description="0 or more (default 0), in the account's currency."
    )
    currency: str | None = strawberry.field(
        default=None, description="Optional: when given, must be the account's currency."
    )
    isin: str | None = strawberry.field(default=None, description="BUY and SELL only.")
    quantity: Decimal | None = strawberry.field(default=None, description="BUY and SELL only.")
    price: Decimal | None = strawberry.field(
        default=None, description="Per unit, in the account's currency; BUY and SELL only."
    )
    trade_date: dt.date | None = strawberry.field(default=None, description="Default: today.")
    settlement_date: dt.date | None = strawberry.field(
        default=None, description="On or after the trade date; default: the trade date."
    )
    reference: str | None = None


@strawberry.input(
    description="Names only the fields to change, and the version that was read. "
    "Only PENDING transactions change."
)
class UpdateTransactionInput:
    id: strawberry.ID
    version: int
    status: TransactionStatus | None = strawberry.UNSET
    consideration_amount: Decimal | None = strawberry.UNSET
    charges_amount: Decimal | None = strawberry.UNSET
    isin: str | None = strawberry.UNSET
    quantity: Decimal | None = strawberry.UNSET
    price: Decimal | None = strawberry.UNSET
    trade_date: dt.date | None = strawberry.UNSET
    settlement_date: dt.date | None = strawberry.UNSET
    reference: str | None = strawberry.UNSET


# -- entity types ---------------------------------------------------------------------------------


# No description: the owner (users subgraph) describes User in the supergraph.
@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **_representation: Any) -> User:
        # The users subgraph answers whether the user exists; a stub is all this side needs.
        return cls(id=id)

    @strawberry.field(description="The user's transactions in creation order, by page.")
    async def transactions(
        self,
        info: Info[SubgraphContext, Any],
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        filter: TransactionFilter | None = None,
    ) -> Connection[Transaction] | None:
        _service(info).authorize_user_transactions(str(self.id))
        key = _child_key(str(self.id), first, after, filter)
        page = await info.context.loaders.get(load_user_pages).load(key)
        return connection_from_page(page, Transaction.from_row)


# No description: the owner (investments subgraph) describes InvestmentAccount.
@strawberry.federation.type(keys=["id"])
class InvestmentAccount:
    id: strawberry.ID
    currency: str = strawberry.federation.field(external=True)

    @classmethod
    def resolve_reference(
        cls, id: strawberry.ID, currency: str | None = None, **_representation: Any
    ) -> InvestmentAccount:
        # The investments subgraph answers whether the account exists; the router sends its
        # currency along (@requires) for the cash figures of an account without transactions.
        return cls(id=id, currency=currency or "")

    @strawberry.field(description="The account's transactions in creation order, by page.")
    async def transactions(
        self,
        info: Info[SubgraphContext, Any],
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        filter: TransactionFilter | None = None,
    ) -> Connection[Transaction] | None:
        visible = await info.context.loaders.get(load_account_access).load(str(self.id))
        key = _child_key(str(self.id), first, after, filter)
        if not visible:
            # Another user's account reads like one that does not exist: not even queried.
            return connection_from_page(_NO_TRANSACTIONS, Transaction.from_row)
        page = await info.context.loaders.get(load_account_pages).load(key)
        return connection_from_page(page, Transaction.from_row)

    async def _cash(self, info: Info[SubgraphContext, Any]) -> AccountCash:
        if not await info.context.loaders.get(load_account_access).load(str(self.id)):
            # Not loaded, so no amount of another user's account is opened (or audited).
            return _NO_CASH
        return await info.context.loaders.get(load_account_cash).load(str(self.id))

    @strawberry.federation.field(
        requires=["currency"],
        description="Settled inflows minus settled outflows (charges included). Exact.",
    )
    async def cash_balance(self, info: Info[SubgraphContext, Any]) -> MoneyType | None:
        cash = await self._cash(info)
        return MoneyType.from_money(cash.position(self.currency or None).cash_balance)

    @strawberry.federation.field(
        requires=["currency"],
        description="The cash balance minus pending outflows and pending charges: what a "
        "withdrawal or a buy may use. Exact.",
    )
    async def available_cash(self, info: Info[SubgraphContext, Any]) -> MoneyType | None:
        cash = await self._cash(info)
        return MoneyType.from_money(cash.position(self.currency or None).available_cash)


@strawberry.federation.type(keys=["id"], description="A deposit, withdrawal or trade.")
class Transaction:
    id: strawberry.ID
    account_id: strawberry.ID
    user_id: strawberry.ID = strawberry.field(description="The account's user.")
    type: TransactionType
    status: TransactionStatus
    currency: str = strawberry.field(description="The account's ISO 4217 currency.")
    isin: str | None = strawberry.field(description="BUY and SELL: the security (ISO 6166).")
    quantity: Decimal | None = strawberry.field(description="BUY and SELL: units traded.")
    price: Decimal | None = strawberry.field(description="BUY and SELL: price per unit.")
    trade_date: dt.date
    settlement_date: dt.date
    reference: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = strawberry.field(
        description="Increases with every change; send it back to update."
    )
    row: strawberry.Private[TransactionRow]

    @classmethod
    def from_row(cls, row: TransactionRow) -> Transaction:
        return cls(
            id=strawberry.ID(row.id),
            account_id=strawberry.ID(row.account_id),
            user_id=strawberry.ID(row.user_id),
            type=TransactionType(row.type),
            status=TransactionStatus(row.status),
            currency=row.currency,
            isin=row.isin,
            quantity=row.quantity,
            price=row.price,
            trade_date=row.trade_date,
            settlement_date=row.settlement_date,
            reference=row.reference,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            row=row,
        )

    @classmethod
    async def resolve_reference(
        cls, info: Info[SubgraphContext, Any], id: strawberry.ID, **_representation: Any
    ) -> Transaction | None:
        row = await info.context.loaders.get(load_transactions).load(str(id))
        # Asked for missing rows too, so a role that reads no transactions is refused either
        # way; another client's transaction is answered like a missing one (null, no error).
        visible = _service(info).may_read(row)
        if row is None or not visible:
            return None
        return cls.from_row(row)

    # Sensitive: need the scope pii:read; null with a FORBIDDEN error without it.
    @strawberry.field(
        description="Greater than 0. Encrypted at rest; needs the scope pii:read "
        "(a client reads its own without it)."
    )
    def consideration_amount(self, info: Info[SubgraphContext, Any]) -> MoneyType | None:
        _require_amounts(info, self.row)
        amount = _service(info).open_amount(self.row, "consideration_amount")
        return MoneyType.from_money(Money(amount, self.row.currency))

    @strawberry.field(
        description="0 or more. Encrypted at rest; needs the scope pii:read "
        "(a client reads its own without it)."
    )
    def charges_amount(self, info: Info[SubgraphContext, Any]) -> MoneyType | None:
        _require_amounts(info, self.row)
        amount = _service(info).open_amount(self.row, "charges_amount")
        return MoneyType.from_money(Money(amount, self.row.currency))

    @strawberry.field(description="The account (owned by the investments subgraph).")
    def account(self) -> InvestmentAccount | None:
        return InvestmentAccount(id=self.account_id, currency=self.currency)

    @strawberry.field(description="The account's user (owned by the users subgraph).")
    def user(self) -> User | None:
        return User(id=self.user_id)


# -- root types -----------------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(description="A transaction by id; null if there is none.")
    async def transaction(
        self, info: Info[SubgraphContext, Any], id: strawberry.ID
    ) -> Transaction | None:
        return await Transaction.resolve_reference(info, id)

    @strawberry.field(description="Transactions in creation order, a page at a time.")
    async def transactions(
        self,
        info: Info[SubgraphContext, Any],
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        filter: TransactionFilter | None = None,
    ) -> Connection[Transaction]:
        page = await _service(info).list_page(_filter_data(filter), first=first, after=after)
        return connection_from_page(page, Transaction.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a PENDING transaction. A retry with the same idempotencyKey and "
        "the same input returns the transaction the first request created and creates nothing; "
        "the same key with another input is a CONFLICT."
    )
    async def create_transaction(
        self,
        info: Info[SubgraphContext, Any],
        input: CreateTransactionInput,
        idempotency_key: str,
    ) -> Transaction:
        row = await _service(info).create(
            NewTransaction(
                account_id=str(input.account_id),
                type=input.type,
                consideration_amount=input.consideration_amount,
                charges_amount=input.charges_amount,
                currency=input.currency,
                isin=input.isin,
                quantity=input.quantity,
                price=input.price,
                trade_date=input.trade_date,
                settlement_date=input.settlement_date,
                reference=input.reference,
            ),
            idempotency_key,
        )
        return Transaction.from_row(row)

    @strawberry.mutation(
        description="Change the named fields of a PENDING transaction (status: SETTLED, "
        "CANCELLED or REJECTED); a stale version is a CONFLICT."
    )
    async def update_transaction(
        self, info: Info[SubgraphContext, Any], input: UpdateTransactionInput
    ) -> Transaction:
        changes: dict[str, Any] = {}
        for name in (
            "status",
            "consideration_amount",
            "charges_amount",
            "isin",
            "quantity",
            "price",
            "trade_date",
            "settlement_date",
            "reference",
        ):
            value = getattr(input, name)
            if value is not strawberry.UNSET:
                changes[name] = value
        row = await _service(info).update(
            TransactionUpdate(transaction_id=str(input.id), version=input.version, changes=changes)
        )
        return Transaction.from_row(row)

    @strawberry.mutation(description="Cancel a PENDING transaction; a stale version is a CONFLICT.")
    async def cancel_transaction(
        self, info: Info[SubgraphContext, Any], id: strawberry.ID, version: int
    ) -> Transaction:
        row = await _service(info).cancel(str(id), version)
        return Transaction.from_row(row)


schema = create_schema(query=Query, mutation=Mutation, types=[Transaction, User, InvestmentAccount])

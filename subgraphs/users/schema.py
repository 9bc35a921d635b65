"""The users GraphQL schema: the ``User`` entity, its queries and mutations.

Resolvers are thin: they convert input, call the service or a DataLoader, and wrap rows in
types. Sensitive fields are opened by their own resolvers, only when a caller selects them, and
only for a caller with the scope ``pii:read`` or the client that is this user (self-access):
otherwise such a field is null with a FORBIDDEN error on its path (hence nullable in the
schema), and the rest of the user is still returned.
Who may read or change which user is the service's business (``policy.py``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.kit import (
    Connection,
    Money,
    MoneyInput,
    MoneyType,
    SubgraphContext,
    connection_from_page,
    create_schema,
    open_sensitive,
)

from .domain import EmploymentStatus, SourceOfWealth, UserStatus
from .models import UserRow
from .repository import UserFilter as UserFilterData
from .repository import UserRepository
from .service import NewUser, UserService, UserUpdate

__all__ = ["schema"]

# The domain enums are the GraphQL enums (same names, same members).
for _enum in (EmploymentStatus, SourceOfWealth, UserStatus):
    strawberry.enum(_enum)

ENTITY = "User"
_NEEDS_SCOPE = "needs the scope pii:read (a client reads its own without it)."


async def load_users(context: SubgraphContext, ids: list[str]) -> list[UserRow | None]:
    """DataLoader batch: every user a request asks for by id, in one query."""
    return await UserRepository(context.session).get_many(ids)


def _service(info: Info[SubgraphContext, Any]) -> UserService:
    context = info.context
    return UserService(
        UserRepository(context.session),
        context.require_encryption(),
        principal=context.require_principal(),
    )


def _open(info: Info[SubgraphContext, Any], row: UserRow, column: str) -> Any:
    # The user row is its own owner: a client reads its own profile in full (self-access).
    return open_sensitive(info, row, column, entity=ENTITY, owner=row.id)


async def _load_user(info: Info[SubgraphContext, Any], user_id: str) -> UserRow | None:
    # Decided before the load, on the id alone: another client's user is answered as missing
    # (null, no error), never read, so a client cannot tell it from an id that does not exist.
    if not _service(info).may_read(user_id):
        return None
    return await info.context.loaders.get(load_users).load(user_id)


@strawberry.federation.type(keys=["id"], description="A KYC-compliant user profile.")
class User:
    id: strawberry.ID
    title: str | None
    first_name: str
    last_name: str
    nationality: str = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    employment_status: EmploymentStatus
    status: UserStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = strawberry.field(
        description="Increases with every change; send it back to update."
    )
    row: strawberry.Private[UserRow]

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            first_name=row.first_name,
            last_name=row.last_name,
            nationality=row.nationality,
            employment_status=EmploymentStatus(row.employment_status),
            status=UserStatus(row.status),
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            row=row,
        )

    @classmethod
    async def resolve_reference(
        cls, info: Info[SubgraphContext, Any], id: strawberry.ID
    ) -> User | None:
        row = await _load_user(info, str(id))
        return cls.from_row(row) if row is not None else None

    # Sensitive: need the scope pii:read; null with a FORBIDDEN error without it.
    @strawberry.field(description="Encrypted at rest; " + _NEEDS_SCOPE)
    def date_of_birth(self, info: Info[SubgraphContext, Any]) -> dt.date | None:
        value: dt.date = _open(info, self.row, "date_of_birth")
        return value

    @strawberry.field(description="Lower-cased; encrypted at rest; " + _NEEDS_SCOPE)
    def email_address(self, info: Info[SubgraphContext, Any]) -> str | None:
        return str(_open(info, self.row, "email_address"))

    @strawberry.field(description="E.164; encrypted at rest; " + _NEEDS_SCOPE)
    def telephone_number(self, info: Info[SubgraphContext, Any]) -> str | None:
        return str(_open(info, self.row, "telephone_number"))

    @strawberry.field(description="Encrypted at rest; " + _NEEDS_SCOPE)
    def annual_income(self, info: Info[SubgraphContext, Any]) -> MoneyType | None:
        return MoneyType.from_money(Money.from_json(_open(info, self.row, "annual_income")))

    @strawberry.field(description="Encrypted at rest; " + _NEEDS_SCOPE)
    def sources_of_wealth(self, info: Info[SubgraphContext, Any]) -> list[SourceOfWealth] | None:
        names = _open(info, self.row, "sources_of_wealth")
        return [SourceOfWealth(name) for name in names]


@strawberry.input(description="Equality filters; omitted ones match everything.")
class UserFilter:
    status: UserStatus | None = None
    nationality: str | None = None
    employment_status: EmploymentStatus | None = None


@strawberry.input
class CreateUserInput:
    title: str | None = None
    first_name: str
    last_name: str
    date_of_birth: dt.date
    nationality: str
    email_address: str
    telephone_number: str
    employment_status: EmploymentStatus
    annual_income: MoneyInput
    sources_of_wealth: list[SourceOfWealth]
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Optional client key (1-255 printable ASCII characters, no spaces). A retry "
        "with the same key and the same input returns the user the first request created and "
        "creates nothing; the same key with another input is a CONFLICT "
        "(IDEMPOTENCY_KEY_REUSED).",
    )


@strawberry.input(description="Names only the fields to change, and the version that was read.")
class UpdateUserInput:
    id: strawberry.ID
    version: int
    title: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    date_of_birth: dt.date | None = strawberry.UNSET
    nationality: str | None = strawberry.UNSET
    email_address: str | None = strawberry.UNSET
    telephone_number: str | None = strawberry.UNSET
    employment_status: EmploymentStatus | None = strawberry.UNSET
    annual_income: MoneyInput | None = strawberry.UNSET
    sources_of_wealth: list[SourceOfWealth] | None = strawberry.UNSET
    status: UserStatus | None = strawberry.UNSET


def _money(value: MoneyInput) -> Money:
    return Money(Decimal(value.amount), value.currency)


@strawberry.type
class Query:
    @strawberry.field(description="A user by id; null if there is none.")
    async def user(self, info: Info[SubgraphContext, Any], id: strawberry.ID) -> User | None:
        row = await _load_user(info, str(id))
        return User.from_row(row) if row is not None else None

    @strawberry.field(description="The user with this e-mail address (any case); null if none.")
    async def user_by_email(
        self, info: Info[SubgraphContext, Any], email_address: str
    ) -> User | None:
        row = await _service(info).find_by_email(email_address)
        return User.from_row(row) if row is not None else None

    @strawberry.field(description="Users in creation order, a page at a time.")
    async def users(
        self,
        info: Info[SubgraphContext, Any],
        first: int | None = 20,
        after: str | None = None,
        filter: UserFilter | None = None,
    ) -> Connection[User]:
        filters = UserFilterData(
            status=filter.status.value if filter and filter.status else None,
            nationality=filter.nationality.strip().upper()
            if filter and filter.nationality
            else None,
            employment_status=(
                filter.employment_status.value if filter and filter.employment_status else None
            ),
        )
        page = await _service(info).list(filters, first=first, after=after)
        return connection_from_page(page, User.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create an ACTIVE user profile.")
    async def create_user(self, info: Info[SubgraphContext, Any], input: CreateUserInput) -> User:
        row = await _service(info).create(
            NewUser(
                title=input.title,
                first_name=input.first_name,
                last_name=input.last_name,
                date_of_birth=input.date_of_birth,
                nationality=input.nationality,
                email_address=input.email_address,
                telephone_number=input.telephone_number,
                employment_status=input.employment_status,
                annual_income=_money(input.annual_income),
                sources_of_wealth=input.sources_of_wealth,
                idempotency_key=input.idempotency_key,
            )
        )
        return User.from_row(row)

    @strawberry.mutation(
        description="Change the named fields (and status, along the allowed moves); "
        "a stale version is a CONFLICT."
    )
    async def update_user(self, info: Info[SubgraphContext, Any], input: UpdateUserInput) -> User:
        changes: dict[str, Any] = {}
        for name in (
            "title",
            "first_name",
            "last_name",
            "date_of_birth",
            "nationality",
            "email_address",
            "telephone_number",
            "employment_status",
            "sources_of_wealth",
            "status",
        ):
            value = getattr(input, name)
            if value is not strawberry.UNSET:
                changes[name] = value
        if input.annual_income is not strawberry.UNSET:
            income = input.annual_income
            changes["annual_income"] = _money(income) if income is not None else None
        row = await _service(info).update(
            UserUpdate(user_id=str(input.id), version=input.version, changes=changes)
        )
        return User.from_row(row)


schema = create_schema(query=Query, mutation=Mutation, types=[User])

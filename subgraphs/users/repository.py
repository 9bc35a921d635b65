"""Every SQL query of the users subgraph. Sessions are the request's; nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from subgraphs.kit import Conflict, Page, StaleVersion, ordered_by_keys, paginate

from .models import UserRow

__all__ = ["IdempotencyKeyTaken", "UserFilter", "UserRepository"]


class IdempotencyKeyTaken(Exception):
    """Another request inserted a user with the same idempotency key first."""


@dataclass(frozen=True, slots=True)
class UserFilter:
    """Optional equality filters of the ``users`` list (``None`` means any)."""

    status: str | None = None
    nationality: str | None = None
    employment_status: str | None = None


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: str) -> UserRow | None:
        return await self.session.get(UserRow, user_id)

    async def get_many(self, user_ids: Sequence[str]) -> list[UserRow | None]:
        """Load several users in one query, in the order of ``user_ids``."""
        if not user_ids:
            return []
        rows = await self.session.scalars(select(UserRow).where(UserRow.id.in_(set(user_ids))))
        return ordered_by_keys(user_ids, list(rows), lambda row: row.id)

    async def find_by_email_index(self, digests: Sequence[str]) -> UserRow | None:
        """Find the user whose e-mail blind index is one of ``digests`` (one per key version)."""
        if not digests:
            return None
        result = await self.session.scalars(
            select(UserRow).where(UserRow.email_blind_index.in_(digests)).limit(1)
        )
        return result.first()

    async def find_by_idempotency_key(self, key: str) -> UserRow | None:
        """Return the user created under a client's idempotency key, if any."""
        result = await self.session.scalars(
            select(UserRow).where(UserRow.idempotency_key == key).limit(1)
        )
        return result.first()

    async def email_taken(self, digests: Sequence[str], *, except_id: str | None = None) -> bool:
        statement = select(UserRow.id).where(UserRow.email_blind_index.in_(digests))
        if except_id is not None:
            statement = statement.where(UserRow.id != except_id)
        return (await self.session.scalar(statement.limit(1))) is not None

    async def page(
        self, filters: UserFilter, *, first: int | None, after: str | None
    ) -> Page[UserRow]:
        statement = select(UserRow)
        if filters.status is not None:
            statement = statement.where(UserRow.status == filters.status)
        if filters.nationality is not None:
            statement = statement.where(UserRow.nationality == filters.nationality)
        if filters.employment_status is not None:
            statement = statement.where(UserRow.employment_status == filters.employment_status)
        return await paginate(self.session, statement, UserRow.id, first=first, after=after)

    def add(self, row: UserRow) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        """Write pending changes now, turning constraint and version races into conflicts."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            # Only the e-mail index's unique constraint is an expected clash (two writers racing
            # past the service's check); any other integrity error is a bug and stays unexpected.
            # Both backends name the column in the message (PostgreSQL via the constraint name).
            # A create's idempotency key is the other one: a retry racing its first attempt.
            if "idempotency_key" in str(exc.orig):
                raise IdempotencyKeyTaken() from exc
            if "email_blind_index" not in str(exc.orig):
                raise
            raise Conflict(
                "Another user already has this e-mail address.",
                reason="DUPLICATE",
                field="emailAddress",
            ) from exc
        except StaleDataError as exc:
            raise StaleVersion("The user") from exc

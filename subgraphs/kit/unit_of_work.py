"""One request's database transaction, and the access audit written with it.

:func:`open_unit_of_work` is the one place a request commits: it yields the request's session;
on the way out it commits when the operation reported no error and rolls back otherwise, before
the response is sent, so services never commit and a refused mutation leaves nothing behind.
The same unit of work writes the operation's DATA_ACCESS audit event (:mod:`.audit`): in the
request's transaction when it commits, in a transaction of its own when the request rolls back
(the response may still carry what was decrypted). Both HTTP paths of ``/graphql`` (the lean
``POST`` endpoint and FastAPI's) use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from .audit import data_access_event
from .context import RequestTransaction, SubgraphContext
from .observability import audit_write_span
from .state import SubgraphState, get_state

__all__ = ["UnitOfWork", "open_unit_of_work", "unit_of_work"]


@dataclass
class UnitOfWork:
    """One request's session and the flag that decides commit or rollback."""

    session: AsyncSession
    transaction: RequestTransaction
    context: SubgraphContext | None = None


@asynccontextmanager
async def open_unit_of_work(state: SubgraphState) -> AsyncIterator[UnitOfWork]:
    """Yield the request's session; commit if the operation succeeded, else roll back."""
    async with state.database.session() as session:
        work = UnitOfWork(session, RequestTransaction())
        try:
            yield work
        except BaseException:
            await session.rollback()
            raise
        context = work.context
        event = (
            data_access_event(
                state.settings.subgraph,
                context.principal,
                context.encryption.accessed if context.encryption is not None else (),
            )
            if context is not None
            else None
        )
        if work.transaction.failed:
            await session.rollback()
            if event is not None:
                # The response may still carry what was decrypted: the event must outlive the
                # rollback, so it gets a transaction of its own.
                with audit_write_span(len(event.accessed)):
                    async with state.database.session() as audit_session:
                        await state.audit_sink.record(
                            audit_session, event, state.encryption_services
                        )
                        await audit_session.commit()
        else:
            if event is not None:
                with audit_write_span(len(event.accessed)):
                    await state.audit_sink.record(session, event, state.encryption_services)
            await session.commit()
        if event is not None and state.audit_relay is not None:
            state.audit_relay.wake()


async def unit_of_work(
    state: Annotated[SubgraphState, Depends(get_state)],
) -> AsyncIterator[UnitOfWork]:
    """:func:`open_unit_of_work` as a FastAPI dependency (``scope="function"``)."""
    async with open_unit_of_work(state) as work:
        yield work

"""Idempotent creation: a retry returns the first result; the same key with another body is a
conflict; racing requests with one key create one transaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from decimal import Decimal

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from crypto import EncryptionServices
from subgraphs.kit.testing import state_of
from subgraphs.transactions.domain import TransactionType
from subgraphs.transactions.idempotency import fingerprint
from subgraphs.transactions.service import NewTransaction
from tests.subgraphs.support import make_encryption_services
from tests.subgraphs.transactions.transactions_support import (
    StandInInvestments,
    create,
    next_key,
    settle,
    transaction_count,
    transaction_input,
)


async def test_retry_with_same_key_and_body_returns_the_first_result(
    client: httpx.AsyncClient, investments: StandInInvestments, account: str
) -> None:
    key = next_key()
    body = transaction_input(account)
    first = (await create(client, body, key)).ok()["createTransaction"]
    owner_calls = investments.requests

    again = (await create(client, body, key)).ok()["createTransaction"]

    assert again == first
    assert await transaction_count(client) == 1
    # A replay is answered from the stored transaction, without asking the owner again.
    assert investments.requests == owner_calls


async def test_replay_shows_the_transaction_as_it_is_now(
    client: httpx.AsyncClient, account: str
) -> None:
    key = next_key()
    body = transaction_input(account)
    first = (await create(client, body, key)).ok()["createTransaction"]
    await settle(client, first)
    again = (await create(client, body, key)).ok()["createTransaction"]
    assert (again["id"], again["status"], again["version"]) == (first["id"], "SETTLED", 2)
    assert await transaction_count(client) == 1


async def test_same_key_with_another_body_is_a_conflict(
    client: httpx.AsyncClient, investments: StandInInvestments, account: str
) -> None:
    key = next_key()
    (await create(client, transaction_input(account), key)).ok()
    variants = [
        transaction_input(account, considerationAmount="1500.01"),
        transaction_input(account, considerationAmount="1500.0"),  # same value, other text
        transaction_input(account, reference="Another"),
        transaction_input(account, chargesAmount="0.00"),
        transaction_input(investments.add()),
        transaction_input(account, type="INTEREST"),
    ]
    for body in variants:
        error = (await create(client, body, key)).error()
        assert error["extensions"]["code"] == "CONFLICT", body
        assert error["extensions"]["reason"] == "IDEMPOTENCY_KEY_REUSED"
        assert error["extensions"]["field"] == "idempotencyKey"
        assert "1500" not in error["message"]
    assert await transaction_count(client) == 1


async def test_different_keys_create_different_transactions(
    client: httpx.AsyncClient, account: str
) -> None:
    body = transaction_input(account)
    one = (await create(client, body, next_key())).ok()["createTransaction"]
    two = (await create(client, body, next_key())).ok()["createTransaction"]
    assert one["id"] != two["id"]
    assert await transaction_count(client) == 2


async def test_refused_request_does_not_burn_its_key(
    client: httpx.AsyncClient, investments: StandInInvestments
) -> None:
    account = investments.add(status="SUSPENDED")
    key = next_key()
    body = transaction_input(account)
    refused = await create(client, body, key)
    assert refused.error()["extensions"]["code"] == "RULE_VIOLATION"

    investments.accounts[account]["status"] = "ACTIVE"
    accepted = (await create(client, body, key)).ok()["createTransaction"]
    assert accepted["accountId"] == account
    assert await transaction_count(client) == 1


async def test_concurrent_retries_create_exactly_one_transaction(
    client: httpx.AsyncClient, transactions_app: FastAPI, account: str
) -> None:
    key = next_key()
    body = transaction_input(account)
    results = await asyncio.gather(*(create(client, body, key) for _ in range(6)))

    ids = {result.ok()["createTransaction"]["id"] for result in results}
    assert len(ids) == 1
    async with state_of(transactions_app).database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT count(*) FROM transactions"))).scalar()
    assert rows == 1


async def test_same_key_racing_on_two_accounts_creates_one_transaction(
    client: httpx.AsyncClient, investments: StandInInvestments
) -> None:
    key = next_key()
    accounts = [investments.add() for _ in range(4)]
    results = await asyncio.gather(
        *(create(client, transaction_input(account), key) for account in accounts)
    )

    winners = [r for r in results if not r.errors]
    losers = [r for r in results if r.errors]
    assert len(winners) == 1
    assert {loser.error()["extensions"]["reason"] for loser in losers} <= {"IDEMPOTENCY_KEY_REUSED"}
    assert await transaction_count(client) == 1


async def test_fingerprint_is_keyed_not_a_plain_hash_of_the_body(
    client: httpx.AsyncClient,
    transactions_app: FastAPI,
    encryption_services: EncryptionServices,
    account: str,
) -> None:
    # A plain hash of a body whose other fields are in the clear would give the amount away.
    await create(client, transaction_input(account, reference=None), "fingerprint-probe")
    async with state_of(transactions_app).database.engine.connect() as connection:
        stored = (
            await connection.execute(text("SELECT request_fingerprint FROM transactions"))
        ).scalar_one()
    canonical = NewTransaction(
        account_id=account,
        type=TransactionType.DEPOSIT,
        consideration_amount=Decimal("1500.00"),
        trade_date=dt.date(2026, 11, 2),
        settlement_date=dt.date(2026, 11, 4),
    ).canonical()
    assert stored == fingerprint(encryption_services.session(), canonical)
    other_keys = make_encryption_services("transactions")
    assert stored != fingerprint(other_keys.session(), canonical)
    assert hashlib.sha256(canonical.encode()).hexdigest() not in stored

"""Amounts are sealed at rest, bound to their row: the raw database holds no plaintext amount,
and a ciphertext copied onto another row does not open."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from subgraphs.kit.testing import execute, state_of
from tests.subgraphs.transactions.transactions_support import (
    GET_TRANSACTION,
    create,
    create_ok,
    deposit_settled,
    trade_input,
)

# Distinctive amounts, so that a match in the raw rows cannot be a coincidence.
CONSIDERATION = "98765.43"
CHARGES = "12.34"


async def _raw_rows(app: FastAPI) -> list[dict[str, object]]:
    async with state_of(app).database.engine.connect() as connection:
        result = await connection.execute(text("SELECT * FROM transactions"))
        return [dict(row._mapping) for row in result]


async def test_raw_rows_hold_no_plaintext_amount(
    client: httpx.AsyncClient, transactions_app: FastAPI, account: str
) -> None:
    await create_ok(client, account, considerationAmount=CONSIDERATION, chargesAmount=CHARGES)
    await deposit_settled(client, account, "555.55")
    sell = trade_input(account, type="SELL", considerationAmount="4321.09", chargesAmount="7.77")
    (await create(client, sell)).ok()

    rows = await _raw_rows(transactions_app)
    assert len(rows) == 3
    dump = repr(rows)
    for plaintext in (CONSIDERATION, CHARGES, "98765", "555.55", "4321.09", "7.77"):
        assert plaintext not in dump
    for row in rows:
        for column in ("consideration_amount", "charges_amount"):
            assert str(row[column]).startswith("wt1.A256GCM."), column


async def test_ciphertext_copied_onto_another_row_does_not_open(
    client: httpx.AsyncClient, transactions_app: FastAPI, account: str
) -> None:
    victim = await create_ok(client, account, considerationAmount=CONSIDERATION)
    other = await create_ok(client, account, considerationAmount="10.00")

    async with state_of(transactions_app).database.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE transactions SET consideration_amount = "
                "(SELECT consideration_amount FROM transactions WHERE id = :victim) "
                "WHERE id = :other"
            ),
            {"victim": victim["id"], "other": other["id"]},
        )
    # A ciphertext moved to another column of the same row does not open either.
    async with state_of(transactions_app).database.engine.begin() as connection:
        await connection.execute(
            text("UPDATE transactions SET charges_amount = consideration_amount WHERE id = :id"),
            {"id": victim["id"]},
        )

    moved = await execute(client, GET_TRANSACTION, {"id": other["id"]})
    assert "DECRYPTION_FAILED" in moved.codes
    assert CONSIDERATION not in repr(moved.body)
    swapped = await execute(
        client,
        "query($id: ID!) { transaction(id: $id) { chargesAmount { amount } } }",
        {"id": victim["id"]},
    )
    assert swapped.codes == ["DECRYPTION_FAILED"]
    assert CONSIDERATION not in repr(swapped.body)
    # The victim's own consideration still opens where it belongs.
    own = await execute(
        client,
        "query($id: ID!) { transaction(id: $id) { considerationAmount { amount } } }",
        {"id": victim["id"]},
    )
    assert own.ok()["transaction"]["considerationAmount"]["amount"] == CONSIDERATION

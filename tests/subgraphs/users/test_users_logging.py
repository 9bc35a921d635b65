"""Refusals and failures are logged by code and path, never with the values that caused them."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from subgraphs.kit.testing import execute, state_of
from tests.subgraphs.users.users_support import CREATE_USER, GET_USER, create_user, user_input

EMAIL = "secret.person@hidden.example"
PHONE = "+441632960961"


async def test_no_sensitive_value_reaches_the_logs(
    client: httpx.AsyncClient, users_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = await create_user(client, emailAddress=EMAIL, telephoneNumber=PHONE)

    duplicate = await execute(client, CREATE_USER, {"input": user_input(emailAddress=EMAIL)})
    assert duplicate.codes == ["CONFLICT"]
    invalid = await execute(
        client, CREATE_USER, {"input": user_input(emailAddress="not an email " + EMAIL)}
    )
    assert invalid.codes == ["BAD_USER_INPUT"]
    engine = state_of(users_app).database.engine
    async with engine.begin() as connection:  # make the phone unreadable: DECRYPTION_FAILED
        await connection.execute(
            text("UPDATE users SET telephone_number = email_address WHERE id = :id"),
            {"id": user["id"]},
        )
    broken = await execute(client, GET_USER, {"id": user["id"]})
    assert broken.codes == ["DECRYPTION_FAILED"]

    assert "CONFLICT" in caplog.text  # the refusals were logged...
    assert "DECRYPTION_FAILED" in caplog.text
    for value in (EMAIL, EMAIL.split("@")[0], PHONE, PHONE[1:]):
        assert value not in caplog.text  # ...without the values

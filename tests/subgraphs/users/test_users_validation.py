"""Each validation rule of a user profile: refused with a code naming the field; nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from subgraphs.kit.testing import execute
from tests.subgraphs.users.users_support import (
    CREATE_USER,
    GET_USER,
    create_user,
    update_user,
    user_input,
)


def _years_ago(years: int, days: int = 0) -> str:
    today = dt.datetime.now(dt.UTC).date()
    try:
        then = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        then = today.replace(year=today.year - years, day=28)
    return (then + dt.timedelta(days=days)).isoformat()


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("empty first name", {"firstName": "  "}, "firstName"),
    ("long first name", {"firstName": "A" * 51}, "firstName"),
    ("empty last name", {"lastName": ""}, "lastName"),
    ("long last name", {"lastName": "B" * 51}, "lastName"),
    ("control character in name", {"lastName": "Love\u0000lace"}, "lastName"),
    ("empty title", {"title": ""}, "title"),
    ("minor, 18 tomorrow", {"dateOfBirth": _years_ago(18, days=1)}, "dateOfBirth"),
    ("born in the future", {"dateOfBirth": _years_ago(-1)}, "dateOfBirth"),
    ("born before 1900", {"dateOfBirth": "1899-12-31"}, "dateOfBirth"),
    ("unknown country", {"nationality": "XX"}, "nationality"),
    ("alpha-3 country", {"nationality": "GBR"}, "nationality"),
    ("e-mail without @", {"emailAddress": "ada.example.com"}, "emailAddress"),
    ("e-mail without domain dot", {"emailAddress": "ada@example"}, "emailAddress"),
    ("e-mail with space", {"emailAddress": "ada lovelace@example.com"}, "emailAddress"),
    ("e-mail with double dot", {"emailAddress": "ada..l@example.com"}, "emailAddress"),
    ("national phone number", {"telephoneNumber": "07700 900123"}, "telephoneNumber"),
    ("phone with letters", {"telephoneNumber": "+44 7700 CALLME"}, "telephoneNumber"),
    ("phone too long", {"telephoneNumber": "+4477009001234567"}, "telephoneNumber"),
    (
        "income with too many decimals",
        {"annualIncome": {"amount": "100.001", "currency": "GBP"}},
        "annualIncome.amount",
    ),
    (
        "income decimals in a zero-decimal currency",
        {"annualIncome": {"amount": "100.5", "currency": "JPY"}},
        "annualIncome.amount",
    ),
    (
        "negative income",
        {"annualIncome": {"amount": "-1.00", "currency": "GBP"}},
        "annualIncome.amount",
    ),
    (
        "unknown currency",
        {"annualIncome": {"amount": "100.00", "currency": "XYZ"}},
        "annualIncome.currency",
    ),
    ("no source of wealth", {"sourcesOfWealth": []}, "sourcesOfWealth"),
]


async def _user_count(client: httpx.AsyncClient) -> int:
    data = (await execute(client, "{ users(first: 100) { nodes { id } } }")).ok()
    return len(data["users"]["nodes"])


async def test_create_refuses_each_invalid_field(client: httpx.AsyncClient) -> None:
    # Every rule in turn against one app (an app start per rule would double the suite's time).
    for case, overrides, field in INVALID:
        result = await execute(client, CREATE_USER, {"input": user_input(**overrides)})

        error = result.error()
        assert error["extensions"]["code"] == "BAD_USER_INPUT", case
        assert error["extensions"]["field"] == field, case
        assert field in error["message"], case
        assert result.data is None, case
    assert await _user_count(client) == 0  # not one of them wrote anything


async def test_update_refuses_each_invalid_field(client: httpx.AsyncClient) -> None:
    # One user, every rule in turn (one app start instead of one per rule keeps the suite fast).
    user = await create_user(client, title="Dr")

    for case, overrides, field in INVALID:
        result = await update_user(client, id=user["id"], version=1, **overrides)

        error = result.error()
        assert error["extensions"]["code"] == "BAD_USER_INPUT", case
        assert error["extensions"]["field"] == field, case
    after = (await execute(client, GET_USER, {"id": user["id"]})).ok()["user"]
    assert after == user


async def test_every_bad_field_is_listed_at_once(client: httpx.AsyncClient) -> None:
    result = await execute(
        client,
        CREATE_USER,
        {"input": user_input(firstName="", nationality="ZZ", emailAddress="nope")},
    )
    fields = [issue["field"] for issue in result.error()["extensions"]["fields"]]
    assert fields == ["firstName", "nationality", "emailAddress"]


async def test_required_field_cannot_be_nulled_by_update(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    result = await update_user(client, id=user["id"], version=1, lastName=None)
    assert result.error()["extensions"]["code"] == "BAD_USER_INPUT"
    assert result.error()["extensions"]["field"] == "lastName"


async def test_forbidden_status_move_is_refused(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    closed = (await update_user(client, id=user["id"], version=1, status="CLOSED")).ok()
    assert closed["updateUser"]["status"] == "CLOSED"
    result = await update_user(client, id=user["id"], version=2, status="SUSPENDED")
    assert result.error()["extensions"]["code"] == "RULE_VIOLATION"


@pytest.mark.parametrize(
    ("amount", "field_suffix"),
    [(85000.5, "amount"), ("1e3", "amount"), ("NaN", "amount"), ("12,00", "amount")],
)
async def test_income_amount_must_be_a_decimal_string(
    client: httpx.AsyncClient, amount: object, field_suffix: str
) -> None:
    result = await execute(
        client,
        CREATE_USER,
        {"input": user_input(annualIncome={"amount": amount, "currency": "GBP"})},
    )
    error = result.error()
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": f"annualIncome.{field_suffix}",
    }
    assert str(amount) not in error["message"]  # the value is not echoed back
    assert await _user_count(client) == 0


async def test_bad_date_of_birth_is_not_echoed(client: httpx.AsyncClient) -> None:
    result = await execute(client, CREATE_USER, {"input": user_input(dateOfBirth="1985-13-45")})
    error = result.error()
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "dateOfBirth"}
    assert "1985-13-45" not in error["message"]


async def test_accepted_normalisations(client: httpx.AsyncClient) -> None:
    user = await create_user(
        client,
        nationality=" fr ",
        telephoneNumber="0033 (1) 23.45.67-89",
        firstName="  Ada  ",
        annualIncome={"amount": "100", "currency": "jpy"},
        sourcesOfWealth=["SAVINGS", "GIFT", "SAVINGS"],
    )
    assert user["nationality"] == "FR"
    assert user["telephoneNumber"] == "+33123456789"
    assert user["firstName"] == "Ada"
    assert user["annualIncome"] == {"amount": "100", "currency": "JPY"}
    assert user["sourcesOfWealth"] == ["GIFT", "SAVINGS"]


async def test_adult_on_their_eighteenth_birthday(client: httpx.AsyncClient) -> None:
    user = await create_user(client, dateOfBirth=_years_ago(18))
    assert user["status"] == "ACTIVE"


async def test_bad_inline_literal_is_not_echoed(client: httpx.AsyncClient) -> None:
    query = """mutation { createUser(input: {
        firstName: "A", lastName: "B", dateOfBirth: "1985-13-45", nationality: "GB",
        emailAddress: "a@example.com", telephoneNumber: "+447700900123",
        employmentStatus: EMPLOYED, annualIncome: {amount: "1.00", currency: "GBP"},
        sourcesOfWealth: [SAVINGS]}) { id } }"""
    result = await execute(client, query)
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "1985-13-45" not in result.errors[0]["message"]
    assert "Date" in result.errors[0]["message"]

"""Each rule of a compliance log refuses bad input with a code and the field, writing nothing."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from subgraphs.kit.testing import GraphQLResult, execute
from tests.subgraphs.compliance.compliance_support import (
    CREATE_LOG,
    LIST_LOGS,
    Owners,
    amend_log,
    create_log,
    log_input,
    stored_counts,
)

UNKNOWN_USER = "usr_00000000000070008000000000000000"
UNKNOWN_ACCOUNT = "acc_00000000000070008000000000000000"
UNKNOWN_TRANSACTION = "txn_00000000000070008000000000000000"


async def _create(client: httpx.AsyncClient, **overrides: Any) -> GraphQLResult:
    return await execute(client, CREATE_LOG, {"input": log_input(**overrides)})


def _refused(result: GraphQLResult, code: str, field: str) -> dict[str, Any]:
    error = result.error()
    assert error["extensions"]["code"] == code, error
    assert error["extensions"]["field"] == field, error
    assert field in error["message"] or code != "BAD_USER_INPUT", error
    assert result.data is None or all(value is None for value in result.data.values())
    return error


async def test_a_log_needs_a_subject(client: httpx.AsyncClient, compliance_app: FastAPI) -> None:
    error = _refused(await _create(client), "BAD_USER_INPUT", "userId")
    assert {issue["field"] for issue in error["extensions"]["fields"]} == {
        "userId",
        "accountId",
        "transactionId",
    }
    assert await stored_counts(compliance_app) == (0, 0, 0)


SHAPES = [
    ("userId", "acc_00000000000070008000000000000000"),
    ("accountId", "not-an-id"),
    ("transactionId", UNKNOWN_USER),
]
UNKNOWN = [
    ("userId", UNKNOWN_USER),
    ("accountId", UNKNOWN_ACCOUNT),
    ("transactionId", UNKNOWN_TRANSACTION),
]


async def test_subject_ids_must_look_like_their_owners_ids(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    for field, value in SHAPES:
        _refused(await _create(client, **{field: value}), "BAD_USER_INPUT", field)
    assert owners.router.requests == []  # refused before asking anyone
    assert await stored_counts(compliance_app) == (0, 0, 0)


async def test_subjects_must_exist_in_their_owner(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    for field, value in UNKNOWN:
        error = _refused(await _create(client, **{field: value}), "BAD_USER_INPUT", field)
        assert "no " in error["message"], field
    assert sorted(owners.router.requests) == ["investments", "transactions", "users"]
    assert await stored_counts(compliance_app) == (0, 0, 0)


async def test_every_subject_is_checked(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    result = await _create(client, userId=user_id, accountId=UNKNOWN_ACCOUNT)
    _refused(result, "BAD_USER_INPUT", "accountId")
    assert await stored_counts(compliance_app) == (0, 0, 0)


async def test_subjects_must_belong_together(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    alice, bob = await owners.new_user(), await owners.new_user()
    alices_account, bobs_account = owners.new_account(alice), owners.new_account(bob)
    bobs_transaction = owners.new_transaction(bobs_account)
    cases: list[tuple[dict[str, str], str]] = [
        ({"userId": alice, "accountId": bobs_account}, "accountId"),
        ({"accountId": alices_account, "transactionId": bobs_transaction}, "transactionId"),
        ({"userId": alice, "transactionId": bobs_transaction}, "transactionId"),
    ]
    for subjects, field in cases:
        error = _refused(await _create(client, **subjects), "BAD_USER_INPUT", field)
        assert "belongs to another" in error["message"]
    assert await stored_counts(compliance_app) == (0, 0, 0)
    # Matching subjects are accepted.
    subjects = {"userId": bob, "accountId": bobs_account, "transactionId": bobs_transaction}
    assert await create_log(client, **subjects)


async def test_an_unreachable_owner_refuses_the_write_as_retryable(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    owners.router.down.add("users")
    error = (await _create(client, userId=user_id)).error()
    assert error["extensions"]["code"] == "DEPENDENCY_UNAVAILABLE"
    assert error["extensions"]["dependency"] == "users"
    assert error["extensions"]["retryable"] is True
    assert await stored_counts(compliance_app) == (0, 0, 0)
    owners.router.down.clear()
    assert await create_log(client, userId=user_id)  # the same request works once it is back


FIELD_RULES: list[tuple[str, Any]] = [
    ("performedBy", "   "),
    ("performedBy", "x" * 101),
    ("performedBy", "bot\n2"),
    ("provider", ""),
    ("provider", "p" * 101),
    ("responseId", ""),
    ("responseId", "r" * 201),
    ("logDetails", ["not", "an", "object"]),
    ("logDetails", "text"),
    ("logDetails", {"blob": "x" * 17_000}),
    (
        "logDetails",
        {
            "a": {
                "b": {
                    "c": {
                        "d": {
                            "e": {
                                "f": {
                                    "g": {
                                        "h": {
                                            "i": {
                                                "j": {
                                                    "k": {"l": {"m": {"n": {"o": {"p": {"q": 1}}}}}}
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    ),
]


async def test_field_rules(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    for field, value in FIELD_RULES:
        _refused(await _create(client, userId=user_id, **{field: value}), "BAD_USER_INPUT", field)
    assert await stored_counts(compliance_app) == (0, 0, 0)


KYC_MISMATCHES = [
    ("KYC_CHECK_REQUESTED", "CLEAR"),
    ("KYC_CHECK_PASSED", "CONSIDER"),
    ("KYC_CHECK_PASSED", "FAIL"),
    ("KYC_CHECK_FAILED", "CLEAR"),
    ("KYC_CHECK_REFERRED", "PENDING"),
]


async def test_kyc_events_carry_their_outcome(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    user_id = await owners.new_user()
    for event_type, outcome in KYC_MISMATCHES:
        result = await _create(client, userId=user_id, eventType=event_type, outcome=outcome)
        _refused(result, "BAD_USER_INPUT", "outcome")
    assert await stored_counts(compliance_app) == (0, 0, 0)


async def test_every_bad_field_is_listed_at_once(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    result = await _create(
        client, userId=await owners.new_user(), performedBy="", responseId="", logDetails=[]
    )
    error = result.error()
    assert [issue["field"] for issue in error["extensions"]["fields"]] == [
        "performedBy",
        "logDetails",
        "responseId",
    ]


async def test_enum_and_type_errors_are_bad_input(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    result = await _create(client, userId=await owners.new_user(), eventType="KYC_MAYBE")
    error = result.error()
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "eventType"
    assert await stored_counts(compliance_app) == (0, 0, 0)


AMENDMENT_RULES: list[tuple[dict[str, Any], str]] = [
    ({}, "outcome"),
    ({"outcome": None}, "outcome"),
    ({"logDetails": None}, "logDetails"),
    ({"responseId": None}, "responseId"),
    ({"responseId": " "}, "responseId"),
    ({"provider": "p" * 101}, "provider"),
    ({"logDetails": [1, 2]}, "logDetails"),
    ({"outcome": "CLEAR", "performedBy": ""}, "performedBy"),
]


async def test_amendment_rules(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    log = await create_log(client, userId=await owners.new_user())
    before = await stored_counts(compliance_app)
    for changes, field in AMENDMENT_RULES:
        result = await amend_log(client, id=log["id"], version=1, **changes)
        _refused(result, "BAD_USER_INPUT", field)
    assert await stored_counts(compliance_app) == before


async def test_an_amendment_keeps_a_kyc_event_consistent(
    client: httpx.AsyncClient, compliance_app: FastAPI, owners: Owners
) -> None:
    log = await create_log(
        client, userId=await owners.new_user(), eventType="KYC_CHECK_PASSED", outcome="CLEAR"
    )
    result = await amend_log(client, id=log["id"], version=1, outcome="FAIL")
    _refused(result, "BAD_USER_INPUT", "outcome")
    assert await stored_counts(compliance_app) == (1, 1, 1)


async def test_list_arguments_are_checked(client: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
        ({"after": "garbage"}, "after"),
    ]
    for variables, field in cases:
        _refused(await execute(client, LIST_LOGS, variables), "BAD_USER_INPUT", field)

"""EncryptionSessionExtension in a tiny Strawberry schema: session, access record, scrubbing."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError

from crypto import (
    BlindIndexKeyring,
    DecryptionError,
    EncryptionServices,
    EncryptionSession,
    EncryptionSessionExtension,
    Keyring,
    Sealed,
    get_session,
    session_from_context,
)

SERVICES = EncryptionServices("users", Keyring.generate(), BlindIndexKeyring.generate())
EMAIL = "alice.secret@example.com"
PHONE = "+447700900123"
ROWS: dict[str, dict[str, Sealed]] = {}


def _seed_rows() -> None:
    crypt = SERVICES.session()
    for row_id, email in [("usr_1", EMAIL), ("usr_2", "bob.hidden@example.com")]:
        ROWS[row_id] = {
            "email": crypt.seal(email, table="users", column="email", row_id=row_id),
            "phone": crypt.seal(PHONE, table="users", column="phone", row_id=row_id),
        }


_seed_rows()


class DomainError(Exception):
    """Stands for a subgraph's expected error: it carries a code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.extensions = {"code": code, "detail": message}


def _open(info: strawberry.Info, row_id: str, column: str) -> str:
    value = get_session(info).open(
        ROWS[row_id][column], table="users", column=column, row_id=row_id, entity="User"
    )
    assert isinstance(value, str)
    return value


@strawberry.type
class User:
    id: strawberry.ID

    @strawberry.field
    def email(self, info: strawberry.Info) -> str:
        return _open(info, self.id, "email")

    @strawberry.field
    async def phone(self, info: strawberry.Info) -> str:
        await asyncio.sleep(0)
        return _open(info, self.id, "phone")

    @strawberry.field
    def email_as_int(self, info: strawberry.Info) -> int:
        # A bug: returns plaintext where an Int is expected; graphql-core echoes the value.
        return _open(info, self.id, "email")  # type: ignore[return-value]


@strawberry.type
class Query:
    @strawberry.field
    def user(self, id: strawberry.ID) -> User:
        return User(id=id)

    @strawberry.field
    def domain_failure(self, info: strawberry.Info) -> str:
        email = _open(info, "usr_1", "email")
        raise DomainError(f"{email} is already registered", code="DUPLICATE_EMAIL")

    @strawberry.field
    async def graphql_failure(self, info: strawberry.Info) -> str:
        email = _open(info, "usr_1", "email")
        raise GraphQLError(f"no account for {email.upper()}", extensions={"code": "NOT_FOUND"})

    @strawberry.field
    def chained_failure(self, info: strawberry.Info) -> str:
        email = _open(info, "usr_1", "email")
        try:
            raise ValueError(f"bad {email}")
        except ValueError as exc:
            raise DomainError("lookup failed", code="LOOKUP_FAILED") from exc

    @strawberry.field
    def unexpected_failure(self, info: strawberry.Info) -> str:
        raise KeyError("some internal detail")

    @strawberry.field
    def tampered(self, info: strawberry.Info) -> str:
        return get_session(info).open(  # type: ignore[return-value]
            ROWS["usr_2"]["email"], table="users", column="email", row_id="usr_1"
        )


@strawberry.type
class Mutation:
    @strawberry.mutation
    def register(self, info: strawberry.Info, email: str) -> str:
        sealed = get_session(info).seal(email, table="users", column="email", row_id="usr_9")
        if email.endswith("@taken.example"):
            raise DomainError(f"{email} is taken", code="DUPLICATE_EMAIL")
        return sealed.key_id or ""


schema = strawberry.Schema(query=Query, mutation=Mutation, extensions=[EncryptionSessionExtension])


async def _run(query: str, **variables: Any) -> tuple[Any, dict[str, Any]]:
    context: dict[str, Any] = {"encryption_services": SERVICES}
    result = await schema.execute(query, context_value=context, variable_values=variables or None)
    return result, context


def _formatted(result: Any) -> str:
    return repr([error.formatted for error in result.errors or []])


async def test_resolvers_get_a_session_and_accesses_are_recorded() -> None:
    result, context = await _run(
        '{ a: user(id: "usr_1") { email phone } b: user(id: "usr_2") { email } }'
    )
    assert result.errors is None
    assert result.data == {
        "a": {"email": EMAIL, "phone": PHONE},
        "b": {"email": "bob.hidden@example.com"},
    }
    session = context["encryption"]
    assert isinstance(session, EncryptionSession)
    assert {(a.entity, a.row_id, a.field) for a in session.accessed} == {
        ("User", "usr_1", "email"),
        ("User", "usr_1", "phone"),
        ("User", "usr_2", "email"),
    }


async def test_the_same_field_read_twice_is_recorded_once() -> None:
    _, context = await _run('{ a: user(id: "usr_1") { email } b: user(id: "usr_1") { email } }')
    assert len(context["encryption"].accessed) == 1


async def test_each_operation_gets_its_own_session() -> None:
    queries = [f'{{ user(id: "{row}") {{ email }} }}' for row in ("usr_1", "usr_2")] * 5
    outcomes = await asyncio.gather(*(_run(query) for query in queries))
    sessions = [context["encryption"] for _, context in outcomes]
    assert len({id(s) for s in sessions}) == len(queries)
    for (result, context), query in zip(outcomes, queries, strict=True):
        row = "usr_1" if "usr_1" in query else "usr_2"
        assert [a.row_id for a in context["encryption"].accessed] == [row]
        assert result.errors is None


async def test_an_object_context_works_too() -> None:
    @dataclass
    class Context:
        encryption_services: EncryptionServices
        encryption: EncryptionSession | None = None
        extra: dict[str, Any] = field(default_factory=dict)

    context = Context(SERVICES)
    result = await schema.execute('{ user(id: "usr_1") { email } }', context_value=context)
    assert result.errors is None
    assert context.encryption is not None
    assert context.encryption.accessed[0].row_id == "usr_1"
    assert session_from_context(context) is context.encryption


async def test_expected_error_with_plaintext_is_scrubbed_and_keeps_its_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        result, _ = await _run("{ domainFailure }")
    assert result.data is None
    (error,) = result.errors
    assert error.message == "[redacted] is already registered"
    assert error.extensions == {
        "code": "DUPLICATE_EMAIL",
        "detail": "[redacted] is already registered",
    }
    assert EMAIL not in _formatted(result)
    # Strawberry logs the error with its traceback before the result is returned.
    assert "is already registered" in caplog.text
    assert EMAIL not in caplog.text


async def test_graphql_errors_are_scrubbed_case_insensitively(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        result, _ = await _run("{ graphqlFailure }")
    (error,) = result.errors
    assert error.message == "no account for [redacted]"
    assert error.extensions == {"code": "NOT_FOUND"}
    assert EMAIL.upper() not in caplog.text


async def test_chained_causes_are_scrubbed_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        result, _ = await _run("{ chainedFailure }")
    (error,) = result.errors
    assert error.message == "lookup failed"
    assert error.extensions == {"code": "LOOKUP_FAILED", "detail": "lookup failed"}
    assert "lookup failed" in caplog.text
    assert EMAIL not in caplog.text


async def test_a_value_echoed_by_graphql_core_is_scrubbed() -> None:
    result, _ = await _run('{ user(id: "usr_1") { emailAsInt } }')
    (error,) = result.errors
    assert "Int cannot represent" in error.message
    assert EMAIL not in _formatted(result)


async def test_mutation_inputs_are_scrubbed_too() -> None:
    result, _ = await _run(
        "mutation ($e: String!) { register(email: $e) }", e="carol@taken.example"
    )
    (error,) = result.errors
    assert error.message == "[redacted] is taken"
    assert "carol@taken.example" not in _formatted(result)
    ok, _ = await _run("mutation ($e: String!) { register(email: $e) }", e="dan@free.example")
    assert ok.errors is None
    assert ok.data == {"register": SERVICES.cipher.active_key_id}


async def test_unexpected_errors_are_masked() -> None:
    result, _ = await _run("{ unexpectedFailure }")
    (error,) = result.errors
    assert error.message == "Internal server error."
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR"}
    assert "internal detail" not in _formatted(result)


async def test_a_value_that_does_not_open_gives_the_generic_error() -> None:
    result, context = await _run("{ tampered }")
    (error,) = result.errors
    assert error.message == str(DecryptionError())
    assert error.extensions == {"code": "DECRYPTION_FAILED"}
    assert context["encryption"].accessed == []


async def test_validation_errors_pass_through() -> None:
    result, _ = await _run("{ nope }")
    (error,) = result.errors
    assert "Cannot query field 'nope'" in error.message


async def test_without_services_resolvers_get_a_clear_error() -> None:
    result = await schema.execute('{ user(id: "usr_1") { email } }', context_value={})
    (error,) = result.errors
    assert error.message == "Internal server error."
    with pytest.raises(RuntimeError, match="EncryptionSessionExtension"):
        session_from_context({})


def test_mask_can_be_switched_off_by_subclassing() -> None:
    class Unmasked(EncryptionSessionExtension):
        mask_unexpected_errors = False

    unmasked = strawberry.Schema(query=Query, extensions=[Unmasked])
    result = unmasked.execute_sync(
        "{ unexpectedFailure }", context_value={"encryption_services": SERVICES}
    )
    (error,) = result.errors
    assert "some internal detail" in error.message


class PropertyError(Exception):
    """Like a subgraph error class: a ``message`` attribute and a read-only ``extensions``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": "CONFLICT", "hint": self.message}


@strawberry.type
class PropertyQuery:
    @strawberry.field
    def clash(self, info: strawberry.Info) -> str:
        raise PropertyError(f"{_open(info, 'usr_1', 'email')} clashes")


async def test_read_only_extensions_and_message_attributes_are_handled() -> None:
    property_schema = strawberry.Schema(
        query=PropertyQuery, extensions=[EncryptionSessionExtension]
    )
    context: dict[str, Any] = {"encryption_services": SERVICES}
    result = await property_schema.execute("{ clash }", context_value=context)
    (error,) = result.errors
    assert error.message == "[redacted] clashes"
    assert error.extensions == {"code": "CONFLICT", "hint": "[redacted] clashes"}
    assert isinstance(error.original_error, PropertyError)
    assert error.original_error.message == "[redacted] clashes"


@strawberry.type
class PlainQuery:
    @strawberry.field
    def refused(self) -> str:
        raise DomainError("not allowed", code="FORBIDDEN")


async def test_errors_without_plaintext_are_left_untouched() -> None:
    plain = strawberry.Schema(query=PlainQuery, extensions=[EncryptionSessionExtension])
    context: dict[str, Any] = {"encryption_services": SERVICES}
    result = await plain.execute("{ refused }", context_value=context)
    (error,) = result.errors
    assert error.message == "not allowed"
    assert isinstance(error.original_error, DomainError)
    assert error.extensions == {"code": "FORBIDDEN", "detail": "not allowed"}

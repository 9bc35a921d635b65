"""The encryption session extension in a tiny Strawberry schema."""

from __future__ import annotations

from typing import Any

import strawberry

from crypto import (
    BlindIndexKeyring,
    EncryptionServices,
    EncryptionSessionExtension,
    Keyring,
    Sealed,
    get_session,
)

SERVICES = EncryptionServices("users", Keyring.generate(), BlindIndexKeyring.generate())
STORED: dict[str, Sealed] = {}


@strawberry.type
class Query:
    @strawberry.field
    def email(self, info: strawberry.Info) -> str:
        session = get_session(info)
        value = session.open(STORED["usr_1"], table="users", column="email", row_id="usr_1")
        assert isinstance(value, str)
        return value

    @strawberry.field
    async def fail(self, info: strawberry.Info) -> str:
        session = get_session(info)
        value = session.open(STORED["usr_1"], table="users", column="email", row_id="usr_1")
        raise ValueError(f"cannot use {value}")


schema = strawberry.Schema(query=Query, extensions=[EncryptionSessionExtension])


async def test_session_reaches_resolvers_and_scrubs() -> None:
    STORED["usr_1"] = SERVICES.session().seal(
        "alice@example.com", table="users", column="email", row_id="usr_1"
    )
    context: dict[str, Any] = {"encryption_services": SERVICES}
    result = await schema.execute("{ email }", context_value=context)
    assert result.errors is None
    assert result.data == {"email": "alice@example.com"}
    assert [(a.entity, a.row_id, a.field) for a in context["encryption"].accessed] == [
        ("users", "usr_1", "email")
    ]
    context = {"encryption_services": SERVICES}
    result = await schema.execute("{ fail }", context_value=context)
    assert result.errors
    assert "alice@example.com" not in str(result.errors[0].formatted)

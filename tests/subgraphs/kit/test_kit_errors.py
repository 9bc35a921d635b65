"""The stale-version conflict every subgraph raises for an update that names an old ``version``."""

from __future__ import annotations

import pytest
from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError, IntegrityError

from subgraphs.kit import Conflict, StaleVersion, require_version
from subgraphs.kit.graphql_errors import render_error


def test_require_version_passes_the_current_version() -> None:
    require_version("The user", 3, 3)  # no exception


def test_require_version_refuses_an_old_one_and_tells_the_current_one() -> None:
    with pytest.raises(StaleVersion) as caught:
        require_version("The user", 4, 3)
    error = caught.value
    assert isinstance(error, Conflict) and error.code == "CONFLICT"
    assert str(error) == (
        "The user was changed since this version was read; read it again and retry."
    )
    assert error.extensions == {
        "code": "CONFLICT",
        "reason": "STALE_VERSION",
        "field": "version",
        "currentVersion": 4,
    }


def test_a_lost_race_has_no_current_version() -> None:
    error = StaleVersion("The compliance log", verb="amended")
    assert str(error) == "The compliance log was amended by someone else; read it again and retry."
    assert error.extensions == {"code": "CONFLICT", "reason": "STALE_VERSION", "field": "version"}


@pytest.mark.parametrize(
    ("cause", "code"),
    [
        (
            ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
            "DATABASE_UNAVAILABLE",
        ),
        (
            DBAPIError("SELECT secret", {}, Exception("closed"), connection_invalidated=True),
            "DATABASE_UNAVAILABLE",
        ),
        (IntegrityError("INSERT secret", {}, Exception("duplicate key")), "INTERNAL_SERVER_ERROR"),
        (RuntimeError("plaintext 4111"), "INTERNAL_SERVER_ERROR"),
    ],
)
def test_a_lost_database_connection_is_retryable_and_says_nothing_else(
    cause: Exception, code: str
) -> None:
    rendered = render_error(GraphQLError("boom", path=["user"], original_error=cause))
    assert rendered.extensions is not None and rendered.extensions["code"] == code
    assert "secret" not in rendered.message and "5432" not in rendered.message
    assert "4111" not in rendered.message
    if code == "DATABASE_UNAVAILABLE":
        assert rendered.extensions["retryable"] is True

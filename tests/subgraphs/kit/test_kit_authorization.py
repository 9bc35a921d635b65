"""The kit's shared ownership checks: staff read everyone, a client only the user it is."""

from __future__ import annotations

import pytest

from crypto import Principal
from subgraphs.kit import (
    ADVISOR,
    CLIENT,
    COMPLIANCE,
    SERVICE,
    Forbidden,
    client_user_filter,
    may_see_row_of,
    require_staff_or_own_client,
)


def _principal(*roles: str, user_id: str | None = None) -> Principal:
    return Principal(sub="test", roles=frozenset(roles), scopes=frozenset(), user_id=user_id)


def _reason(exc: pytest.ExceptionInfo[Forbidden]) -> object:
    return exc.value.extensions["reason"]


def test_staff_and_the_own_client_may_read() -> None:
    require_staff_or_own_client(_principal(ADVISOR), "usr_a", own="accounts", what="accounts")
    client = _principal(CLIENT, user_id="usr_a")
    require_staff_or_own_client(client, "usr_a", own="accounts", what="accounts")


@pytest.mark.parametrize(
    ("principal", "reason", "message"),
    [
        (_principal(CLIENT, user_id="usr_b"), "NOT_OWN", "A client may read only its own user."),
        (_principal(CLIENT), "NOT_OWN", "A client may read only its own user."),
        (_principal(SERVICE), "ROLE", "Your role may not read users."),
    ],
)
def test_others_are_refused(principal: Principal, reason: str, message: str) -> None:
    with pytest.raises(Forbidden) as caught:
        require_staff_or_own_client(principal, "usr_a", own="user", what="users")
    assert _reason(caught) == reason
    assert str(caught.value) == message


def test_a_clients_list_is_narrowed_to_itself() -> None:
    client = _principal(CLIENT, user_id="usr_a")
    assert client_user_filter(client, None, own="accounts", what="accounts") == "usr_a"
    assert client_user_filter(client, "usr_a", own="accounts", what="accounts") == "usr_a"
    with pytest.raises(Forbidden) as caught:
        client_user_filter(client, "usr_b", own="accounts", what="accounts")
    assert _reason(caught) == "NOT_OWN"
    assert str(caught.value) == "A client may list only its own accounts."


def test_staff_list_as_asked_and_other_roles_may_not_list() -> None:
    staff = _principal(ADVISOR)
    assert client_user_filter(staff, None, own="accounts", what="accounts") is None
    assert client_user_filter(staff, "usr_b", own="accounts", what="accounts") == "usr_b"
    for principal in (_principal(SERVICE), _principal(CLIENT)):  # a client without a user too
        with pytest.raises(Forbidden) as caught:
            client_user_filter(principal, None, own="accounts", what="investment accounts")
        assert _reason(caught) == "ROLE"
        assert str(caught.value) == "Your role may not list investment accounts."


def test_a_row_is_shown_to_staff_and_its_own_client_only() -> None:
    for staff in (_principal(ADVISOR), _principal(COMPLIANCE), _principal(CLIENT, ADVISOR)):
        assert may_see_row_of(staff, "usr_a", what="accounts")
        assert not may_see_row_of(staff, None, what="accounts")  # there is no row
    assert may_see_row_of(_principal(CLIENT, user_id="usr_a"), "usr_a", what="accounts")


@pytest.mark.parametrize("user_id", ["usr_b", None])
def test_another_clients_row_is_hidden_like_a_missing_one(user_id: str | None) -> None:
    # No refusal: the caller answers as for a missing row, so existence is not revealed.
    for client in (_principal(CLIENT, user_id="usr_a"), _principal(CLIENT)):
        assert not may_see_row_of(client, user_id, what="accounts")


@pytest.mark.parametrize("user_id", ["usr_a", None])
def test_a_role_that_reads_nothing_is_refused_whether_the_row_exists(user_id: str | None) -> None:
    with pytest.raises(Forbidden) as caught:
        may_see_row_of(_principal(SERVICE), user_id, what="investment accounts")
    assert _reason(caught) == "ROLE"
    assert str(caught.value) == "Your role may not read investment accounts."

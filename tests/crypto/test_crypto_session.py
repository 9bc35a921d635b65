"""EncryptionSession on its own: binding, access record, typed opening, scrubbing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crypto import (
    Binding,
    BlindIndexKeyring,
    DecryptionError,
    EncryptionServices,
    FieldAccess,
    Keyring,
)

SERVICES = EncryptionServices("investments", Keyring.generate(), BlindIndexKeyring.generate())


def test_session_binds_to_its_subgraph_table_column_and_row() -> None:
    session = SERVICES.session()
    sealed = session.seal("ISA-001", table="accounts", column="client_reference", row_id="acc_1")
    binding = Binding("investments", "accounts", "client_reference", "acc_1")
    assert SERVICES.cipher.open(sealed.envelope, binding) == "ISA-001"
    other = EncryptionServices("users", SERVICES.cipher.keyring, BlindIndexKeyring.generate())
    with pytest.raises(DecryptionError):
        other.session().open(sealed, table="accounts", column="client_reference", row_id="acc_1")


def test_access_record_uses_entity_or_table_and_only_successful_opens() -> None:
    session = SERVICES.session()
    a = session.seal(Decimal("10.00"), table="accounts", column="balance", row_id="acc_1")
    session.open(a, table="accounts", column="balance", row_id="acc_1", entity="InvestmentAccount")
    session.open(a, table="accounts", column="balance", row_id="acc_1")
    with pytest.raises(DecryptionError):
        session.open(a, table="accounts", column="balance", row_id="acc_2")
    assert session.accessed == [
        FieldAccess("InvestmentAccount", "acc_1", "balance"),
        FieldAccess("accounts", "acc_1", "balance"),
    ]


def test_open_as_checks_the_type() -> None:
    session = SERVICES.session()
    sealed = session.seal(date(1990, 1, 31), table="users", column="dob", row_id="usr_1")
    assert session.open_as(date, sealed, table="users", column="dob", row_id="usr_1") == date(
        1990, 1, 31
    )
    with pytest.raises(TypeError, match=r"users\.dob opened as date, expected Decimal") as caught:
        session.open_as(Decimal, sealed, table="users", column="dob", row_id="usr_1")
    assert "1990" not in str(caught.value)


def test_optional_helpers_pass_none_through() -> None:
    session = SERVICES.session()
    assert session.seal_optional(None, table="t", column="c", row_id="r") is None
    assert session.open_optional(None, table="t", column="c", row_id="r") is None
    assert session.accessed == []
    sealed = session.seal_optional("x@y.z", table="t", column="c", row_id="r")
    assert sealed is not None
    assert session.open_optional(sealed, table="t", column="c", row_id="r") == "x@y.z"


def test_scrub_covers_every_form_the_session_handled() -> None:
    session = SERVICES.session()
    session.seal(Decimal("1500.00"), table="t", column="amount", row_id="r")
    session.seal(
        {"provider": "onfido", "score": 0.87, "ok": True}, table="t", column="d", row_id="r"
    )
    session.seal(["INHERITANCE"], table="t", column="sources", row_id="r")
    session.blind_index_email("Carol@Example.com")
    session.remember_plaintext("manual-secret")
    text = (
        "amount 1500.00 from onfido (0.87) via INHERITANCE for carol@example.com; "
        "also MANUAL-SECRET; True stays"
    )
    assert session.scrub(text) == (
        "amount [redacted] from [redacted] ([redacted]) via [redacted] for [redacted]; "
        "also [redacted]; True stays"
    )


def test_scrub_redacts_the_longest_match_and_skips_tiny_values() -> None:
    session = SERVICES.session()
    session.remember_plaintext("alice", "alice@example.com", "GB", "7")
    assert session.scrub("alice@example.com and alice, GB 7") == "[redacted] and [redacted], GB 7"
    assert not session.contains_plaintext("nothing here")


def test_sessions_do_not_share_state() -> None:
    first, second = SERVICES.session(), SERVICES.session()
    first.remember_plaintext("only-in-first")
    assert second.scrub("only-in-first") == "only-in-first"
    assert first.accessed is not second.accessed

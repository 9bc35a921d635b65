"""What a link's hash covers (pure functions, no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math

import pytest

from subgraphs.compliance.chain import (
    CONTENT_DOMAIN,
    GENESIS_HASH,
    canonical_json,
    content_digest_input,
    link_hash,
    link_payload,
)


@dataclasses.dataclass
class Link:
    id: str = "cpr_01a2210e77d774c6abed68866f0dd5c4"
    log_id: str = "cpl_01a2210e77d774c6abed68866f0dd5c4"
    revision: int = 1
    chain_index: int = 1
    user_id: str | None = "usr_01a2210e76b075d48b218a6c00b804c4"
    account_id: str | None = None
    transaction_id: str | None = None
    event_type: str = "AML_SCREENING"
    outcome: str = "CLEAR"
    provider: str | None = "ComplyAdvantage"
    performed_by: str = "screening-service"
    content_digest: str = "v1:" + "a" * 64
    created_at: dt.datetime = dt.datetime(2026, 11, 28, 7, 30, 0, 123456, tzinfo=dt.UTC)
    previous_hash: str = GENESIS_HASH


CHANGES = {
    "id": "cpr_01a2210e77d774c6abed68866f0dd5c5",
    "log_id": "cpl_01a2210e77d774c6abed68866f0dd5c5",
    "revision": 2,
    "chain_index": 2,
    "user_id": None,
    "account_id": "acc_01a2210e76b075d48b218a6c00b804c4",
    "transaction_id": "txn_01a2210e76b075d48b218a6c00b804c4",
    "event_type": "PEP_SCREENING",
    "outcome": "FAIL",
    "provider": None,
    "performed_by": "someone-else",
    "content_digest": "v1:" + "b" * 64,
    "created_at": dt.datetime(2026, 11, 28, 7, 30, 0, 123457, tzinfo=dt.UTC),
    "previous_hash": "c" * 64,
}


def test_the_hash_is_sha256_of_the_canonical_payload() -> None:
    link = Link()
    assert link_hash(link) == hashlib.sha256(link_payload(link)).hexdigest()
    assert link_payload(link) == link_payload(Link())  # deterministic


def test_every_field_is_covered() -> None:
    base = link_hash(Link())
    assert set(CHANGES) == {field.name for field in dataclasses.fields(Link)}
    for name, value in CHANGES.items():
        assert link_hash(dataclasses.replace(Link(), **{name: value})) != base, name


def test_timestamps_are_normalised_to_utc_and_naive_ones_refused() -> None:
    same_instant = Link().created_at.astimezone(dt.timezone(dt.timedelta(hours=5)))
    assert link_hash(Link(created_at=same_instant)) == link_hash(Link())
    with pytest.raises(ValueError):
        link_hash(Link(created_at=dt.datetime(2026, 11, 28, 7, 30)))


def test_canonical_json_ignores_key_order_and_refuses_nan() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": "é"}]}) == canonical_json(
        {"a": [1, {"c": "é", "d": 2}], "b": 1}
    )
    assert canonical_json({"a": "é"}) == '{"a":"é"}'
    with pytest.raises(ValueError):
        canonical_json({"score": math.nan})


def test_content_digest_input_is_domain_separated() -> None:
    text = content_digest_input({"b": 2, "a": 1}, "resp-1")
    assert text.startswith(CONTENT_DOMAIN)
    assert text == content_digest_input({"a": 1, "b": 2}, "resp-1")
    assert text != content_digest_input({"a": 1, "b": 2}, "resp-2")

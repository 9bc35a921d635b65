from __future__ import annotations

import uuid

import pytest

from subgraphs.kit import is_id, new_id


def test_ids_carry_the_prefix_and_a_uuid7_body() -> None:
    value = new_id("acc")
    prefix, body = value.split("_")
    assert prefix == "acc"
    parsed = uuid.UUID(hex=body)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert is_id("acc", value)
    assert not is_id("usr", value)


def test_ids_increase_even_within_one_millisecond() -> None:
    ids = [new_id("txn") for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("prefix", ["", "U", "user_", "toolongprefix", "us1"])
def test_bad_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        new_id(prefix)

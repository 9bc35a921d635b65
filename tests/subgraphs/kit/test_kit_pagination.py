from __future__ import annotations

import pytest

from subgraphs.kit import BadUserInput, check_page_size, decode_cursor, encode_cursor


def test_cursor_round_trip_and_opacity() -> None:
    cursor = encode_cursor("usr_0192")
    assert "usr_" not in cursor
    assert decode_cursor(cursor) == "usr_0192"


@pytest.mark.parametrize("cursor", ["", "abc", encode_cursor("x")[:-3], "eyJ2IjoyLCJpZCI6IngifQ"])
def test_malformed_cursor_is_bad_input(cursor: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        decode_cursor(cursor, field="after")
    assert caught.value.extensions["field"] == "after"


@pytest.mark.parametrize(("first", "expected"), [(None, 20), (1, 1), (100, 100)])
def test_page_size(first: int | None, expected: int) -> None:
    assert check_page_size(first) == expected


@pytest.mark.parametrize("first", [0, -1, 101])
def test_page_size_out_of_range(first: int) -> None:
    with pytest.raises(BadUserInput):
        check_page_size(first)

"""Every sealable type comes back from open() equal and with its own type."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import Binding, DecryptionError, FieldCipher, Keyring

CIPHER = FieldCipher(Keyring.generate())
BINDING = Binding("users", "users", "annual_income", "usr_01HZY")
EXAMPLES = settings(max_examples=60, deadline=None)


class SourceOfWealth(enum.Enum):
    EMPLOYMENT_INCOME = "employment_income"
    INHERITANCE = "inheritance"
    GIFT = "gift"


def _round_trip(value: object) -> Any:
    return CIPHER.open(CIPHER.seal(value, BINDING), BINDING)  # type: ignore[arg-type]


@EXAMPLES
@given(st.text())
def test_str(value: str) -> None:
    opened = _round_trip(value)
    assert type(opened) is str
    assert opened == value


@EXAMPLES
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_keeps_value_and_exponent(value: Decimal) -> None:
    opened = _round_trip(value)
    assert type(opened) is Decimal
    # str() compares the exponent too: "1500.00" must not come back as "1500" or 1500.0.
    assert str(opened) == str(value)


def test_money_amount_keeps_its_decimals() -> None:
    assert str(_round_trip(Decimal("1500.00"))) == "1500.00"


@EXAMPLES
@given(st.dates())
def test_date(value: date) -> None:
    opened = _round_trip(value)
    assert type(opened) is date
    assert opened == value


@EXAMPLES
@given(st.datetimes(timezones=st.none() | st.just(UTC)))
def test_datetime(value: datetime) -> None:
    opened = _round_trip(value)
    assert type(opened) is datetime
    assert opened == value
    assert opened.tzinfo == value.tzinfo


@EXAMPLES
@given(st.lists(st.sampled_from(SourceOfWealth), min_size=1))
def test_enum_list_opens_as_names(value: list[SourceOfWealth]) -> None:
    opened = _round_trip(value)
    assert opened == [member.name for member in value]
    assert [SourceOfWealth[name] for name in opened] == value


@EXAMPLES
@given(st.lists(st.text(), min_size=1))
def test_str_list(value: list[str]) -> None:
    assert _round_trip(value) == value


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@EXAMPLES
@given(_json)
def test_json(value: Any) -> None:
    opened = _round_trip(value)
    assert opened == value
    assert type(opened) is type(value)


@pytest.mark.parametrize(
    "value",
    [
        Decimal("NaN"),
        Decimal("Infinity"),
        float("nan"),
        {"amount": Decimal("1")},
        object(),
        b"bytes",
        SourceOfWealth.GIFT,
    ],
)
def test_unsealable_values_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        CIPHER.seal(value, BINDING)  # type: ignore[arg-type]


def test_refusal_names_the_type_not_the_value() -> None:
    with pytest.raises(TypeError) as caught:
        CIPHER.seal({"amount": Decimal("987654.32")}, BINDING)  # type: ignore[dict-item]
    assert "Decimal" in str(caught.value)
    assert "987654.32" not in str(caught.value)


def test_json_int_keys_become_strings() -> None:
    # JSON objects have string keys; this is the one place a sealed value changes shape.
    assert _round_trip({1: "a"}) == {"1": "a"}


@EXAMPLES
@given(
    st.tuples(st.text(min_size=1), st.text(min_size=1), st.text(min_size=1), st.text(min_size=1)),
    st.text(),
)
def test_any_binding_round_trips(parts: tuple[str, str, str, str], value: str) -> None:
    binding = Binding(*parts)
    assert CIPHER.open(CIPHER.seal(value, binding), binding) == value


def test_binding_encoding_is_unambiguous() -> None:
    # With naive concatenation these two bindings would authenticate the same bytes.
    first = Binding("users", "ab", "c", "usr_1")
    second = Binding("users", "a", "bc", "usr_1")
    assert first.associated_data() != second.associated_data()
    with pytest.raises(DecryptionError):
        CIPHER.open(CIPHER.seal("x", first), second)


def test_every_seal_uses_a_fresh_nonce() -> None:
    envelopes = {CIPHER.seal("same value", BINDING) for _ in range(50)}
    assert len(envelopes) == 50


@pytest.mark.parametrize("part", ["subgraph", "table", "column", "row_id"])
def test_empty_binding_parts_are_refused(part: str) -> None:
    parts = {"subgraph": "users", "table": "users", "column": "email", "row_id": "usr_1"}
    parts[part] = ""
    with pytest.raises(ValueError, match=part):
        Binding(**parts)


@pytest.mark.parametrize(
    "value", [[""], ["a", ""], ["with\x1fseparator", "b"], ["\x1f"], ["é", "東京"]]
)
def test_string_list_edge_cases(value: list[str]) -> None:
    assert _round_trip(value) == value

"""Pre-planning limits and the CSRF rule, as pure functions."""

from __future__ import annotations

import pytest

from router.limits import Limits, LimitViolation, analyse, check_operation, is_csrf_risk

LIMITS = Limits(max_query_depth=4, max_aliases=3, max_query_tokens=200, max_page_size=50)


def violation(query: str, variables: dict[str, object] | None = None, **limits: object) -> str:
    with pytest.raises(LimitViolation) as caught:
        check_operation(Limits(**{**LIMITS.__dict__, **limits}), query, variables, None)
    return caught.value.code


def passes(query: str, variables: dict[str, object] | None = None, **limits: object) -> None:
    check_operation(Limits(**{**LIMITS.__dict__, **limits}), query, variables, None)


def test_depth_counts_fields_through_fragments() -> None:
    passes("{ a { b { c { d } } } }")
    assert violation("{ a { b { c { d { e } } } } }") == "QUERY_TOO_DEEP"
    deep_by_fragment = "{ a { ...F } } fragment F on T { b { c { ... on T { d { e } } } } }"
    assert violation(deep_by_fragment) == "QUERY_TOO_DEEP"
    passes("{ a { b { c { d { e } } } } }", max_query_depth=0)  # 0 = off


def test_aliases_are_counted_as_the_executor_would_expand_them() -> None:
    passes("{ x: a y: a z: a }")
    assert violation("{ x: a y: a z: a w: a }") == "TOO_MANY_ALIASES"
    # Two aliases in a fragment spread twice: four aliases in the result.
    bomb = "{ ...F ...F } fragment F on Query { x: a y: a }"
    assert violation(bomb) == "TOO_MANY_ALIASES"


def test_fragment_bomb_is_measured_without_expanding_it() -> None:
    # 2^40 fields if expanded; the memoised walk sees it at once.
    fragments = "".join(f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}" for n in range(40))
    query = "{ ...F0 } " + fragments + " fragment F40 on Query { x: a }"
    assert violation(query, max_query_tokens=0) == "TOO_MANY_ALIASES"


def test_token_count_stops_parsing_early() -> None:
    assert violation("{ " + "a " * 500 + "}") == "TOO_MANY_TOKENS"
    passes("{ " + "a " * 100 + "}")


def test_page_size_literal_variable_and_default() -> None:
    passes("{ users(first: 50) { id } }")
    assert violation("{ users(first: 51) { id } }") == "PAGE_SIZE_TOO_LARGE"
    assert violation("{ users { accounts(last: 1000) { id } } }") == "PAGE_SIZE_TOO_LARGE"
    query = "query Q($n: Int = 80) { users(first: $n) { id } }"
    assert violation(query) == "PAGE_SIZE_TOO_LARGE"
    passes(query, {"n": 10})
    assert violation(query, {"n": 10_000}) == "PAGE_SIZE_TOO_LARGE"


def test_page_size_message_says_what_and_how() -> None:
    with pytest.raises(LimitViolation) as caught:
        check_operation(LIMITS, "{ users(first: 500) { id } }", None, None)
    assert caught.value.message == (
        "users(first: 500) asks for more than 50 items; page through with 'after'."
    )
    assert caught.value.status == 400


def test_introspection_switch() -> None:
    query = "{ __schema { types { name } } }"
    passes(query)
    assert violation(query, introspection=False) == "INTROSPECTION_DISABLED"
    assert violation('{ __type(name: "User") { name } }', introspection=False) == (
        "INTROSPECTION_DISABLED"
    )
    passes("{ users { __typename } }", introspection=False)  # __typename is not introspection


def test_unparsable_or_ambiguous_documents_are_left_to_the_gateway() -> None:
    passes("{ broken ")
    passes("query A { a { b { c { d { e } } } } } query B { a }")  # no operationName: ambiguous
    with pytest.raises(LimitViolation):
        check_operation(LIMITS, "query A { a { b { c { d { e } } } } } query B { a }", None, "A")


def test_analysis_is_cached_per_document() -> None:
    first = analyse("{ cached { a } }", 100)
    assert analyse("{ cached { a } }", 100) is first


def test_long_documents_are_measured_but_not_kept() -> None:
    # Comments are not tokens: a long document can stay under the token limit.
    query = "#" + "x" * 70_000 + "\n{ a { b } }"
    first = analyse(query, 100)
    assert first is not None and first.select(None) is not None
    assert first.select(None).depth == 2  # type: ignore[union-attr]
    assert analyse(query, 100) is not first


@pytest.mark.parametrize(
    ("method", "headers", "risky"),
    [
        ("GET", {}, True),
        ("POST", {"content-type": "text/plain"}, True),
        ("POST", {"content-type": "application/x-www-form-urlencoded"}, True),
        ("POST", {"content-type": "multipart/form-data; boundary=x"}, True),
        ("POST", {"content-type": "application/json"}, False),
        ("GET", {"apollo-require-preflight": "true"}, False),
        ("GET", {"x-apollo-operation-name": "Q"}, False),
        ("GET", {"apollo-require-preflight": " "}, True),  # empty values do not count
        ("GET", {"content-type": "application/json"}, False),
        ("PATCH", {}, False),
    ],
)
def test_csrf_rule(method: str, headers: dict[str, str], risky: bool) -> None:
    assert is_csrf_risk(method, headers) is risky

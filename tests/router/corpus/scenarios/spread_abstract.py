"""Interfaces and unions whose members are spread over subgraphs.

catalog knows ``Book`` and ``Film`` as implementations of ``Product`` and members of ``Result``;
music knows ``Album`` (and ``Film``, to which it adds ``soundtrack``). The supergraph's Product
is Book | Film | Album, its Result the same. Each subgraph can only be asked about the members it
has: a fragment on ``Album`` must not reach catalog (it has no such type), a fragment on ``Book``
must not reach music, and a member's fields from the other subgraph need an entity jump.
"""

from __future__ import annotations

from typing import Any

from tests.router.corpus.kit import Case, DataSubgraph, Fixture, build_all, ref

NAME = "spread_abstract"


def _book(key: str, name: str, pages: int) -> dict[str, Any]:
    return {"__typename": "Book", "id": key, "name": name, "pages": pages}


def _film(key: str, name: str, minutes: int) -> dict[str, Any]:
    return {"__typename": "Film", "id": key, "name": name, "minutes": minutes}


def _album(key: str, name: str, tracks: int) -> dict[str, Any]:
    return {"__typename": "Album", "id": key, "name": name, "tracks": tracks}


PRODUCTS = [
    _book("b1", "Dune", 412),
    _film("f1", "Alien", 117),
    _book("b2", "Emma", 300),
    _film("f2", "Heat", 170),
]
ALBUMS = [_album("a1", "Alien OST", 12), _album("a2", "Heat OST", 9), _album("a3", "Blue", 10)]
SOUNDTRACKS = [
    {"__typename": "Film", "id": "f1", "soundtrack": ref("Album", id="a1")},
    {"__typename": "Film", "id": "f2", "soundtrack": ref("Album", id="a2")},
]


def _search(_root: Any, _info: Any, term: str) -> list[dict[str, Any]]:
    return [p for p in PRODUCTS if term.lower() in p["name"].lower()]


def _subgraphs() -> dict[str, Any]:
    return build_all(
        DataSubgraph(
            NAME,
            "catalog",
            tables={"Book": PRODUCTS[::2], "Film": PRODUCTS[1::2]},
            resolvers={"Query": {"products": lambda *_: PRODUCTS, "search": _search}},
        ),
        DataSubgraph(
            NAME,
            "music",
            tables={"Album": ALBUMS, "Film": SOUNDTRACKS},
            resolvers={
                "Query": {
                    "albums": lambda *_: ALBUMS,
                    # music's own row of the film (its key and soundtrack)
                    "featured": lambda *_: [ALBUMS[2], SOUNDTRACKS[0]],
                }
            },
        ),
    )


CASES = (
    Case(
        "a member's field from the other subgraph",
        "{ products { __typename name ... on Film { soundtrack { name tracks } } } }",
        {
            "data": {
                "products": [
                    {"__typename": "Book", "name": "Dune"},
                    {
                        "__typename": "Film",
                        "name": "Alien",
                        "soundtrack": {"name": "Alien OST", "tracks": 12},
                    },
                    {"__typename": "Book", "name": "Emma"},
                    {
                        "__typename": "Film",
                        "name": "Heat",
                        "soundtrack": {"name": "Heat OST", "tracks": 9},
                    },
                ]
            }
        },
        # catalog, then music's _entities for the films' soundtracks
        fetches=2,
        depth=2,
    ),
    Case(
        "a fragment on a member only the other subgraph has",
        "{ products { name ... on Album { tracks } } }",
        {"data": {"products": [{"name": n} for n in ("Dune", "Alien", "Emma", "Heat")]}},
        fetches=1,
        depth=1,
    ),
    Case(
        "a union member the root subgraph has only as a key",
        "{ featured { __typename ... on Album { name } ... on Film { name minutes } } }",
        {
            "data": {
                "featured": [
                    {"__typename": "Album", "name": "Blue"},
                    {"__typename": "Film", "name": "Alien", "minutes": 117},
                ]
            }
        },
        # music, then catalog for the film's name and minutes
        fetches=2,
        depth=2,
    ),
    Case(
        "a member's own field at the root subgraph, beside one from the other",
        "{ featured { ... on Film { name soundtrack { name } } } }",
        {"data": {"featured": [{}, {"name": "Alien", "soundtrack": {"name": "Alien OST"}}]}},
        fetches=2,
        depth=2,
    ),
    Case(
        "a fragment on a member the root subgraph does not have",
        "{ featured { __typename ... on Book { pages } } }",
        {"data": {"featured": [{"__typename": "Album"}, {"__typename": "Film"}]}},
        fetches=1,
        depth=1,
    ),
    Case(
        "the interface from both subgraphs side by side",
        "{ albums { name } products { name } }",
        {
            "data": {
                "albums": [{"name": "Alien OST"}, {"name": "Heat OST"}, {"name": "Blue"}],
                "products": [{"name": n} for n in ("Dune", "Alien", "Emma", "Heat")],
            }
        },
        fetches=2,
        depth=1,
    ),
    Case(
        "union members of one subgraph, one with a field of the other",
        '{ search(term: "a") { ... on Film { soundtrack { name } } ... on Book { pages } } }',
        {
            "data": {
                "search": [
                    {"soundtrack": {"name": "Alien OST"}},
                    {"pages": 300},
                    {"soundtrack": {"name": "Heat OST"}},
                ]
            }
        },
        fetches=2,
        depth=2,
    ),
)

FIXTURE = Fixture(
    NAME,
    _subgraphs,
    CASES,
    arguments={("Query", "search"): ['(term: "")', '(term: "a")', '(term: "zz")']},
)

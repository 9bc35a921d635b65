"""An entity interface with a resolvable and a non-resolvable ``@interfaceObject``.

media owns ``interface Media @key(fields: "id")`` with Book and Movie and is the only subgraph
that knows each item's real type. stats adds ``views`` to every Media as an ``@interfaceObject``
(it answers ``__typename: "Media"``), and its ``trending`` root field returns Media it cannot
type. tags refers to Media through a non-resolvable ``@interfaceObject`` key: from there, the
real type and every field but ``id`` need a jump to media (and ``views`` one to stats).
"""

from __future__ import annotations

from typing import Any

from tests.router.corpus.kit import Case, DataSubgraph, Fixture, build_all, ref

NAME = "interface_object"

BOOK = {"__typename": "Book", "id": "b1", "title": "Dune", "pages": 412}
ALIEN = {"__typename": "Movie", "id": "m1", "title": "Alien", "minutes": 117}
HEAT = {"__typename": "Movie", "id": "m2", "title": "Heat", "minutes": 170}
ITEMS = [BOOK, ALIEN, HEAT]
VIEWS = [{"id": "b1", "views": 1000}, {"id": "m1", "views": 500}, {"id": "m2", "views": 50}]
TAGS = [
    {"name": "classic", "items": [ref("Media", id="b1"), ref("Media", id="m1")]},
    {"name": "new", "items": [ref("Media", id="m2")]},
]


def _subgraphs() -> dict[str, Any]:
    return build_all(
        DataSubgraph(
            NAME,
            "media",
            tables={"Media": ITEMS, "Book": [BOOK], "Movie": [ALIEN, HEAT]},
            resolvers={"Query": {"library": lambda *_: ITEMS}},
        ),
        DataSubgraph(
            NAME,
            "stats",
            tables={"Media": VIEWS},
            # its own rows (views included), typed only as the interface object
            resolvers={
                "Query": {
                    "trending": lambda *_: [{"__typename": "Media", **VIEWS[i]} for i in (1, 0)]
                }
            },
        ),
        DataSubgraph(NAME, "tags", resolvers={"Query": {"tags": lambda *_: TAGS}}),
    )


CASES = (
    Case(
        "an interfaceObject field on the entity interface",
        "{ library { __typename title views } }",
        {
            "data": {
                "library": [
                    {"__typename": "Book", "title": "Dune", "views": 1000},
                    {"__typename": "Movie", "title": "Alien", "views": 500},
                    {"__typename": "Movie", "title": "Heat", "views": 50},
                ]
            }
        },
        fetches=2,
        depth=2,
    ),
    Case(
        "from the interfaceObject subgraph to the real types",
        "{ trending { __typename title ... on Book { pages } ... on Movie { minutes } } }",
        {
            "data": {
                "trending": [
                    {"__typename": "Movie", "title": "Alien", "minutes": 117},
                    {"__typename": "Book", "title": "Dune", "pages": 412},
                ]
            }
        },
        # stats, then media for the real type and the fields
        fetches=2,
        depth=2,
    ),
    Case(
        "the interfaceObject's own field at its root field",
        "{ trending { id views ... on Movie { minutes } } }",
        {
            "data": {
                "trending": [
                    {"id": "m1", "views": 500, "minutes": 117},
                    {"id": "b1", "views": 1000},
                ]
            }
        },
        # stats (id, views), then media for the real type and the movie's minutes
        fetches=2,
        depth=2,
    ),
    Case(
        "through a non-resolvable interfaceObject",
        "{ tags { name items { __typename title views } } }",
        {
            "data": {
                "tags": [
                    {
                        "name": "classic",
                        "items": [
                            {"__typename": "Book", "title": "Dune", "views": 1000},
                            {"__typename": "Movie", "title": "Alien", "views": 500},
                        ],
                    },
                    {
                        "name": "new",
                        "items": [{"__typename": "Movie", "title": "Heat", "views": 50}],
                    },
                ]
            }
        },
        # tags, then media (type, title) and stats (views) side by side
        fetches=3,
        depth=2,
    ),
    Case(
        "the key alone from the non-resolvable subgraph",
        "{ tags { items { id } } }",
        {"data": {"tags": [{"items": [{"id": "b1"}, {"id": "m1"}]}, {"items": [{"id": "m2"}]}]}},
        fetches=1,
        depth=1,
    ),
    Case(
        "an entity whose key its excluded fragment would have fetched",
        "query ($no: Boolean!) { library { ... on Movie @include(if: $no) { id title views }"
        " ... on Book { id views } } }",
        # the movies' ids are not fetched, so stats is not asked about them: no error either
        {"data": {"library": [{"id": "b1", "views": 1000}, {}, {}]}},
        variables={"no": False},
        fetches=2,
        depth=2,
    ),
    Case(
        "a type condition below the non-resolvable interfaceObject",
        "{ tags { items { ... on Movie { minutes } } } }",
        {"data": {"tags": [{"items": [{}, {"minutes": 117}]}, {"items": [{"minutes": 170}]}]}},
        fetches=2,
        depth=2,
    ),
)

FIXTURE = Fixture(NAME, _subgraphs, CASES)

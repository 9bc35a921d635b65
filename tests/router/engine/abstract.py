"""The "abstract" scenario: interfaces, unions, an entity interface with an @interfaceObject.

media owns `interface Media @key(fields: "id")` with Book and Movie, `interface Node`, and the
union SearchResult; ratings adds `rating` to every Media through `@interfaceObject`; boxoffice
adds fields to the Movie and Person entities.
"""

from __future__ import annotations

from typing import Any

from tests.router.engine.subgraph_kit import InProcessTransport, TestSubgraph, read_sdl

ITEMS: dict[str, dict[str, Any]] = {
    "b1": {"__typename": "Book", "id": "b1", "title": "Dune", "author": "Herbert"},
    "m1": {"__typename": "Movie", "id": "m1", "title": "Alien", "director": "Scott"},
    "m2": {"__typename": "Movie", "id": "m2", "title": "Heat", "director": "Mann"},
    "p1": {"__typename": "Person", "id": "p1", "name": "Sigourney"},
}
RATINGS = {"b1": 5, "m1": 4, "m2": 3}
GROSS = {"m1": 100, "m2": 50}
FILMS = {"p1": ["m1"]}


def _media_entity(rep: dict[str, Any]) -> dict[str, Any] | None:
    item = ITEMS.get(rep["id"])
    if item is None or (rep["__typename"] not in ("Media", item["__typename"])):
        return None
    return item


def abstract_transport() -> InProcessTransport:
    subgraphs = [
        TestSubgraph(
            "media",
            read_sdl("abstract", "media"),
            resolvers={
                "Query": {
                    "library": lambda *_: [ITEMS["b1"], ITEMS["m1"], ITEMS["m2"]],
                    "search": lambda _r, _i, term: [
                        i
                        for i in ITEMS.values()
                        if term.lower() in str(i.get("title") or i.get("name")).lower()
                    ],
                    "node": lambda _r, _i, id: ITEMS.get(id),
                }
            },
            entities={
                "Media": _media_entity,
                "Book": _media_entity,
                "Movie": _media_entity,
                "Person": _media_entity,
            },
        ),
        TestSubgraph(
            "ratings",
            read_sdl("abstract", "ratings"),
            resolvers={
                "Query": {
                    "topRated": lambda *_: [
                        {"id": i, "rating": r}
                        for i, r in sorted(RATINGS.items(), key=lambda kv: -kv[1])
                    ]
                }
            },
            entities={
                "Media": lambda rep: (
                    {"id": rep["id"], "rating": RATINGS.get(rep["id"])}
                    if rep["id"] in RATINGS
                    else None
                )
            },
        ),
        TestSubgraph(
            "boxoffice",
            read_sdl("abstract", "boxoffice"),
            entities={
                "Movie": lambda rep: {"id": rep["id"], "gross": GROSS.get(rep["id"])},
                "Person": lambda rep: {
                    "id": rep["id"],
                    "films": [{"id": m, "gross": GROSS[m]} for m in FILMS.get(rep["id"], [])],
                },
            },
        ),
    ]
    return InProcessTransport({s.name: s for s in subgraphs})

"""The "fragments" scenario: @requires and @provides whose field sets use type conditions.

logistics' `Shelf.load` requires `items { ... on Book { pages } ... on Dvd { minutes } }` from
catalog; its `Query.featured` provides `... on Book { title }`.
"""

from __future__ import annotations

from typing import Any

from tests.router.engine.subgraph_kit import InProcessTransport, TestSubgraph, read_sdl

ITEMS: dict[str, dict[str, Any]] = {
    "b1": {"__typename": "Book", "id": "b1", "title": "Dune", "pages": 600},
    "b2": {"__typename": "Book", "id": "b2", "title": "Emma", "pages": 400},
    "d1": {"__typename": "Dvd", "id": "d1", "title": "Alien", "minutes": 117},
}
SHELF = ["b1", "d1", "b2"]


def _load(shelf: dict[str, Any], _info: Any) -> int:
    # pages count one each, minutes two each: only computable from the representation
    total = 0
    for item in shelf["items"]:
        total += item["pages"] if "pages" in item else 2 * item["minutes"]
    return total


def fragments_transport() -> InProcessTransport:
    subgraphs = [
        TestSubgraph(
            "catalog",
            read_sdl("fragments", "catalog"),
            resolvers={
                "Query": {"shelf": lambda *_: {"id": "s1", "items": [ITEMS[i] for i in SHELF]}}
            },
            entities={
                "Shelf": lambda rep: {"id": rep["id"], "items": [ITEMS[i] for i in SHELF]},
                "Book": lambda rep: ITEMS.get(rep["id"]),
                "Dvd": lambda rep: ITEMS.get(rep["id"]),
            },
        ),
        TestSubgraph(
            "logistics",
            read_sdl("fragments", "logistics"),
            resolvers={
                "Query": {
                    # logistics keeps its own copy of book titles: that is what it provides
                    "featured": lambda *_: [
                        {"__typename": "Book", "id": "b2", "title": "Emma"},
                        {"__typename": "Dvd", "id": "d1"},
                    ]
                },
                "Shelf": {"load": _load},
            },
            entities={"Shelf": lambda rep: rep},
        ),
    ]
    return InProcessTransport({s.name: s for s in subgraphs})

"""The "requires" scenario: a nested @requires with an argument, spanning two subgraphs.

shipping's `Parcel.cost` requires `dimensions { length width weight(unit: "LB") }` (from
warehouse, declared with `@extends`) and `owner { tier }` (from crm, declared with
`extend type`); tracking owns the root field. `cost` fails loudly if a requirement is missing.
"""

from __future__ import annotations

from typing import Any

from tests.router.engine.subgraph_kit import InProcessTransport, TestSubgraph, read_sdl

PARCELS = {"x1": "SHIPPED", "x2": "NEW"}
DIMENSIONS = {"x1": (10, 20, 2.0), "x2": (5, 5, 1.0)}
TIERS = {"x1": "gold", "x2": "basic"}


def _weight(dimensions: dict[str, Any], _info: Any, unit: str) -> float:
    kilograms = float(dimensions["kg"])
    return round(kilograms * 2.2, 2) if unit == "LB" else kilograms


def _dimensions(rep: dict[str, Any]) -> dict[str, Any]:
    length, width, kilograms = DIMENSIONS[rep["id"]]
    return {"id": rep["id"], "dimensions": {"length": length, "width": width, "kg": kilograms}}


def _cost(parcel: dict[str, Any], _info: Any, currency: str) -> str:
    dimensions, owner = parcel["dimensions"], parcel["owner"]
    pounds = dimensions["weight"]
    factor = 0.5 if owner["tier"] == "gold" else 1.0
    return f"{dimensions['length'] * dimensions['width'] * pounds * factor:.2f} {currency}"


def requires_transport() -> InProcessTransport:
    subgraphs = [
        TestSubgraph(
            "tracking",
            read_sdl("requires", "tracking"),
            resolvers={
                "Query": {
                    "parcels": lambda *_: [{"id": i, "status": s} for i, s in PARCELS.items()]
                }
            },
            entities={"Parcel": lambda rep: {"id": rep["id"], "status": PARCELS[rep["id"]]}},
        ),
        TestSubgraph(
            "warehouse",
            read_sdl("requires", "warehouse"),
            resolvers={"Dimensions": {"weight": _weight}},
            entities={"Parcel": _dimensions},
        ),
        TestSubgraph(
            "crm",
            read_sdl("requires", "crm"),
            entities={"Parcel": lambda rep: {"id": rep["id"], "owner": {"tier": TIERS[rep["id"]]}}},
        ),
        TestSubgraph(
            "shipping",
            read_sdl("requires", "shipping"),
            resolvers={
                "Parcel": {"cost": _cost},
                "Query": {"cheapestParcel": lambda *_: {"id": "x2"}},
            },
            entities={"Parcel": lambda rep: rep},
        ),
    ]
    return InProcessTransport({s.name: s for s in subgraphs})

"""Planning benchmark: cold and cached plans of the largest planner-corpus operation.

    python bench/planning.py

Prints, for the corpus operation with the most selections (tests/router/corpus) and for the
router benchmark's fan-out query over the stand-in supergraph: the query graph build time, a cold
plan (a fresh planner: nothing memoised but the query graph) and a cached plan (the gateway's
plan cache, as a request that was seen before gets it). Bounded: a fixed number of repetitions.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphql import parse  # noqa: E402

from router.gateway import Gateway  # noqa: E402
from router.planning import build_plan  # noqa: E402
from router.planning.graph import QueryGraph  # noqa: E402
from router.supergraph import Supergraph  # noqa: E402
from tests.router.corpus.kit import all_fixtures  # noqa: E402
from tests.router.engine.subgraph_kit import InProcessTransport  # noqa: E402
from tests.router.standins import SUPERGRAPH_PATH  # noqa: E402

COLD_RUNS = 50
CACHED_RUNS = 20_000


def _size(query: str) -> int:
    return sum(query.count(c) for c in "{ ") + len(query)


def _best(runs: int, action: object) -> float:
    """The fastest of `runs` timings of `action()` (the least disturbed by other processes)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def report(label: str, supergraph: Supergraph, query: str) -> None:
    document = parse(query)
    graph_time = _best(10, lambda: QueryGraph(supergraph))
    cold = _best(COLD_RUNS, lambda: build_plan(supergraph, document, None))
    gateway = Gateway(supergraph, InProcessTransport({}))
    gateway.plan(query)
    start = time.perf_counter()
    for _ in range(CACHED_RUNS):
        gateway.plan(query)
    cached = (time.perf_counter() - start) / CACHED_RUNS
    fetches = build_plan(supergraph, document, None).fetch_count
    print(f"{label}: {' '.join(query.split())[:90]}")
    print(
        f"  query graph {graph_time * 1e3:.2f} ms, cold plan {cold * 1e3:.2f} ms,"
        f" cached plan {cached * 1e6:.1f} µs, {fetches} fetches"
    )


def main() -> int:
    print(f"planning benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    cases = [(f.name, c.query, f) for f in all_fixtures() for c in f.cases if c.fetches]
    name, query, found = max(cases, key=lambda item: _size(item[1]))
    report(f"largest corpus operation ({name})", found.supergraph(), query)
    from bench.router import FANOUT_QUERY

    standins = Supergraph.from_sdl(SUPERGRAPH_PATH.read_text(encoding="utf-8"))
    report("bench (b)/(c) fan-out, stand-in supergraph", standins, FANOUT_QUERY)
    return 0


if __name__ == "__main__":
    sys.exit(main())

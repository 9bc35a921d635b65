"""Router benchmark: our router next to the subgraph itself and next to Hive Gateway.

    python bench/router.py                 # everything on the stand-in subgraphs (loopback only)
    python bench/router.py --quick         # fewer requests, for a smoke run

Prints requests per second, p50/p99 latency and the gateway's CPU milliseconds per request for:
  (a) a single-subgraph query, through our router and directly against the subgraph;
  (b) a cross-subgraph fan-out with nested entity batching (50 users -> accounts -> transactions ->
      compliance logs), through our router and through Hive Gateway (in-flight deduplication off),
      over the same running subgraphs;
  (c) the same as (b) with every subgraph replaced by a stub that replays recorded responses, so
      that only gateway work is measured, with the subgraph requests each gateway sends per fan-out;
and first the planning figures of bench/planning.py (cold and cached plans).

By default the subgraphs are the stand-ins of tests/router/standins.py, started here. To target
other running subgraphs, pass ``--supergraph FILE`` (their supergraph, URLs included) and the
queries with ``--single-query``/``--single-subgraph`` and ``--fanout-query``.

Every loop is bounded (a request count and a time limit), every server listens on 127.0.0.1, and all
processes started here are stopped at the end. CPU time is read from /proc (Linux).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.router.hive_gateway import run_hive_gateway  # noqa: E402
from tests.router.standins import (  # noqa: E402
    PLACEHOLDER_BASE,
    SUPERGRAPH_PATH,
    free_port,
)

SINGLE_QUERY = "{ users(first: 10) { id name email } }"
FANOUT_QUERY = """query FanOut {
  users(first: 50) {
    id name
    accounts {
      id balance currency
      transactions { id amount currency complianceLogs { id outcome } }
    }
  }
}"""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ROUNDS_A = 10  # (a) alternates direct and router measurements in this many rounds
# Our router requires a caller token (docs/security.md): a development admin token, minted in main()
# with the data folder's secret. Hive Gateway and the subgraphs ignore the header.
AUTH_HEADERS: dict[str, str] = {}


# ------------------------------------------------------------------------------------------------
# Processes


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live children, from /proc."""
    total = 0.0
    for candidate in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_until_up(url: str, process: subprocess.Popen[bytes], what: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {limit:g}s")


@contextmanager
def started(args: list[str], up_url: str, what: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(up_url, process, what)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def standin_subgraphs() -> Iterator[tuple[str, int]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "tests.router.standins", "--port", str(port)]
    with started(command, f"{base}/users/graphql", "stand-in subgraphs") as process:
        yield base, process.pid


@contextmanager
def our_router(supergraph_file: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    command = [
        sys.executable, "-m", "router", "--supergraph", str(supergraph_file),
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    with started(command, f"http://127.0.0.1:{port}/healthz", "our router") as process:
        yield f"http://127.0.0.1:{port}/graphql", process.pid


@contextmanager
def replay_stub(upstreams: dict[str, str]) -> Iterator[tuple[str, int]]:
    """Start the record/replay stub in front of ``upstreams`` (subgraph name -> URL)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, str(Path(__file__).resolve()), "_replay", "--port", str(port),
        "--upstreams", orjson.dumps(upstreams).decode(),
    ]  # fmt: skip
    with started(command, f"{base}/__mode", "replay stub") as process:
        yield base, process.pid


# ------------------------------------------------------------------------------------------------
# The replay stub: records subgraph responses while warming up, then serves only recordings.


def serve_replay(port: int, upstreams: dict[str, str]) -> None:
    import uvicorn

    recordings: dict[tuple[str, bytes], bytes] = {}
    state = {"replay": False, "misses": 0, "requests": 0}
    upstream_client = httpx.AsyncClient(timeout=30)

    def key(path: str, body: bytes) -> tuple[str, bytes]:
        # Canonical JSON: the same request recorded and replayed, whatever the key order.
        return path, orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)

    async def read_body(receive) -> bytes:  # type: ignore[no-untyped-def]
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                return b"".join(chunks)

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        path = scope["path"]
        body = await read_body(receive)
        status, payload = 200, b""
        if path == "/__mode":
            if scope["method"] == "POST":
                state["replay"] = body == b"replay"
            payload = orjson.dumps({**state, "recordings": len(recordings)})
        else:
            subgraph = path.strip("/").split("/")[0]
            state["requests"] += 1
            request_key = key(path, body)
            if state["replay"]:
                recorded = recordings.get(request_key)
                if recorded is None:
                    state["misses"] += 1
                    status, payload = 500, b'{"errors":[{"message":"not recorded"}]}'
                else:
                    payload = recorded
            else:
                response = await upstream_client.post(
                    upstreams[subgraph], content=body, headers={"content-type": "application/json"}
                )
                payload = response.content
                recordings[request_key] = payload
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )


@contextmanager
def passthrough_floor(upstream: str) -> Iterator[tuple[str, int]]:
    """Start the pass-through floor: the platform the router runs on, with no router in it."""
    port = free_port()
    command = [
        sys.executable, str(Path(__file__).resolve()), "_floor", "--port", str(port),
        "--upstream", upstream,
    ]  # fmt: skip
    with started(command, f"http://127.0.0.1:{port}/__up", "pass-through floor") as process:
        yield f"http://127.0.0.1:{port}/graphql", process.pid


def serve_floor(port: int, upstream: str) -> None:
    """A plain ASGI app on uvicorn that POSTs each body to ``upstream`` and returns the answer.

    The same server (uvicorn, uvloop, httptools) and the same subgraph transport as the router,
    and nothing else: no token, no parsing, no plan. What it adds over a direct call is the part
    of (a)'s overhead that any Python gateway on this machine pays for one more HTTP hop.
    """
    import uvicorn

    from router._http11 import Http11Transport

    transport = Http11Transport()
    url = httpx.URL(upstream)
    base = [("host", url.netloc.decode("ascii")), ("content-type", "application/json")]
    timeouts = httpx.Timeout(10.0, connect=2.0).as_dict()

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        payload = b"{}"
        if scope["path"] != "/__up":
            request = httpx.Request(
                "POST",
                url,
                headers=[*base, ("content-length", str(len(body)))],
                stream=httpx.ByteStream(body),
                extensions={"timeout": timeouts},
            )
            payload = (await transport.handle_async_request(request)).content
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )


def hive_variants(node_tools: Path | None) -> list[tuple[str, tuple[str, ...]]]:
    """Hive Gateway as installed: JS planner, and the Rust planner when router-runtime is there."""
    if node_tools is None:
        return []
    variants: list[tuple[str, tuple[str, ...]]] = [("Hive Gateway (dedup off)", ())]
    if (node_tools / "node_modules" / "@graphql-hive" / "router-runtime").is_dir():
        variants.append(("Hive Gateway + Rust planner", ("--hive-router-runtime",)))
    return variants


# ------------------------------------------------------------------------------------------------
# Load


@dataclass
class Result:
    label: str
    requests: int
    failures: int
    seconds: float
    latencies: list[float]
    cpu_ms_per_request: float | None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def check(label: str, url: str, query: str) -> None:
    """One request, checked: the benchmark must not measure error responses."""
    response = httpx.post(url, json={"query": query}, headers=AUTH_HEADERS, timeout=60)
    body = response.json()
    if response.status_code != 200 or body.get("errors") or not body.get("data"):
        raise RuntimeError(
            f"{label}: unexpected answer {response.status_code}: {response.text[:300]}"
        )


async def _load(
    url: str, query: str, count: int, concurrency: int, limit: float
) -> tuple[list[float], int, float]:
    payload = orjson.dumps({"query": query})
    latencies: list[float] = []
    failures = 0
    remaining = count
    deadline = time.monotonic() + limit
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=AUTH_HEADERS) as client:

        async def worker() -> None:
            nonlocal remaining, failures
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                started_at = time.perf_counter()
                response = await client.post(
                    url, content=payload, headers={"content-type": "application/json"}
                )
                body = response.content
                latencies.append(time.perf_counter() - started_at)
                if response.status_code != 200 or b'"errors"' in body:
                    failures += 1

        begin = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - begin
    return latencies, failures, elapsed


def measure(
    label: str,
    url: str,
    query: str,
    pid: int | None,
    count: int,
    concurrency: int,
    limit: float,
    warmup: int,
) -> Result:
    check(label, url, query)
    asyncio.run(_load(url, query, warmup, min(concurrency, 4), limit))
    before = cpu_seconds(pid) if pid else 0.0
    latencies, failures, elapsed = asyncio.run(_load(url, query, count, concurrency, limit))
    cpu = (cpu_seconds(pid) - before) * 1000 / len(latencies) if pid and latencies else None
    return Result(label, len(latencies), failures, elapsed, latencies, cpu)


def print_table(title: str, results: list[Result], concurrency: int) -> None:
    print(f"\n{title} (concurrency {concurrency})")
    header = ("requests", "RPS", "p50 ms", "p99 ms")
    print(
        f"  {'target':<30}" + "".join(f"{h:>9}" for h in header) + f"{'CPU ms/req':>12}{'fail':>6}"
    )
    for r in results:
        cpu = f"{r.cpu_ms_per_request:.2f}" if r.cpu_ms_per_request is not None else "-"
        print(
            f"  {r.label:<30}{r.requests:>9}{r.rps:>9.0f}{r.percentile(0.5):>9.2f}"
            f"{r.percentile(0.99):>9.2f}{cpu:>12}{r.failures:>6}"
        )
    sys.stdout.flush()


def measure_single(
    args: argparse.Namespace,
    urls: dict[str, str],
    router_url: str,
    router_pid: int,
    floor_url: str,
    floor_pid: int,
) -> None:
    """(a): the single-subgraph query directly, through the pass-through floor, through our router.

    The three are measured in alternating rounds (direct, floor, router, direct, ...), so that
    they see the same machine: on a shared VM the speed of everything drifts by tens of percent
    over a minute, and back-to-back measurements compared that drift as much as the router.
    """
    rounds = ROUNDS_A
    per_round = max(1, args.requests // rounds)
    targets = [
        (Result(f"direct: subgraph {args.single_subgraph}", 0, 0, 0.0, [], None),
         urls[args.single_subgraph], None),
        (Result("pass-through floor", 0, 0, 0.0, [], 0.0), floor_url, floor_pid),
        (Result("our router", 0, 0, 0.0, [], 0.0), router_url, router_pid),
    ]  # fmt: skip
    for result, url, _ in targets:
        check(result.label, url, args.single_query)
        asyncio.run(_load(url, args.single_query, 50, 1, args.time_limit))
    cpu = [0.0 for _ in targets]
    overheads: list[float] = []
    for _ in range(rounds):
        medians = []
        for index, (result, url, pid) in enumerate(targets):
            before = cpu_seconds(pid) if pid else 0.0
            latencies, failures, elapsed = asyncio.run(
                _load(url, args.single_query, per_round, args.concurrency, args.time_limit / rounds)
            )
            if pid:
                cpu[index] += cpu_seconds(pid) - before
            result.requests += len(latencies)
            result.failures += failures
            result.seconds += elapsed
            result.latencies.extend(latencies)
            medians.append(Result("", 0, 0, 0.0, latencies, None).percentile(0.5))
        overheads.append(medians[2] - medians[0])
    for index, (result, _, pid) in enumerate(targets):
        if pid and result.requests:
            result.cpu_ms_per_request = cpu[index] * 1000 / result.requests
    direct, floor, routed = (result for result, _, _ in targets)
    print_table("(a) single-subgraph query", [direct, floor, routed], args.concurrency)
    overhead = routed.percentile(0.5) - direct.percentile(0.5)
    print(
        f"  router overhead at p50: {overhead:.2f} ms"
        f"  (per round: {', '.join(f'{o:.2f}' for o in overheads)}; {rounds} alternating rounds)"
    )
    print(
        f"  of which the pass-through floor (one more HTTP hop on this server stack): "
        f"{floor.percentile(0.5) - direct.percentile(0.5):.2f} ms; "
        f"router work above it: {routed.percentile(0.5) - floor.percentile(0.5):.2f} ms"
    )
    if routed.cpu_ms_per_request is not None:
        # On a busy machine the p50 difference is mostly waiting for a CPU; the router's own
        # CPU time per request is what the overhead is made of on an idle one.
        print(f"  router CPU per request: {routed.cpu_ms_per_request:.2f} ms")


# ------------------------------------------------------------------------------------------------


def _authenticate(work: Path) -> None:
    """Mint the benchmark's caller token; our router processes share the data folder's secret."""
    from router.auth import load_or_create_dev_secret, mint_dev_token

    # An operator's data folder (e.g. with --supergraph of running subgraphs) holds the keys
    # those subgraphs trust; otherwise a fresh one under the work folder.
    data_dir = Path(os.environ.setdefault("WEALTHTECH_DATA_DIR", str(work / "data")))
    secret = load_or_create_dev_secret(data_dir / "keys")
    token = mint_dev_token(secret, roles=["admin"], scope=["pii:read"], ttl_seconds=6 * 3600)
    AUTH_HEADERS["authorization"] = f"Bearer {token}"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_floor":
        parser = argparse.ArgumentParser()
        parser.add_argument("_floor")
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--upstream", required=True)
        args = parser.parse_args()
        serve_floor(args.port, args.upstream)
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "_replay":
        parser = argparse.ArgumentParser()
        parser.add_argument("_replay")
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--upstreams", required=True)
        args = parser.parse_args()
        serve_replay(args.port, orjson.loads(args.upstreams))
        return 0

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supergraph", type=Path, help="supergraph of already running subgraphs")
    parser.add_argument("--single-query", default=SINGLE_QUERY)
    parser.add_argument(
        "--single-subgraph", default="users", help="subgraph that answers --single-query"
    )
    parser.add_argument("--fanout-query", default=FANOUT_QUERY)
    parser.add_argument(
        "--requests", type=int, default=2000, help="requests per measurement for (a)"
    )
    parser.add_argument(
        "--fanout-requests", type=int, default=400, help="requests per measurement for (b), (c)"
    )
    parser.add_argument("--concurrency", type=int, default=1, help="concurrent clients for (a)")
    parser.add_argument(
        "--fanout-concurrency", type=int, default=8, help="concurrent clients for (b), (c)"
    )
    parser.add_argument(
        "--time-limit", type=float, default=30.0, help="seconds per measurement, at most"
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the requests")
    parser.add_argument("--only", choices=["a", "bc"], help="run only (a), or only (b) and (c)")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.fanout_requests = args.requests // 10, args.fanout_requests // 10

    from router.supergraph import Supergraph
    from tests.conftest import node_tools_dir

    print(f"router benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    load = os.getloadavg()
    busy = load[0] > (os.cpu_count() or 1)
    print(
        f"load average before the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
        + ("  (busy machine: latencies include waiting for a CPU)" if busy else "")
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.platform()}"
    )

    from bench.planning import main as planning

    planning()  # query planning: cold and cached plan times (in process, a few seconds)
    print()
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-router-")))
        _authenticate(work)
        if args.supergraph is None:
            base, _ = stack.enter_context(standin_subgraphs())
            sdl = SUPERGRAPH_PATH.read_text(encoding="utf-8").replace(PLACEHOLDER_BASE, base)
            print(f"subgraphs: stand-ins (tests/router/standins.py) at {base}")
        else:
            sdl = args.supergraph.read_text(encoding="utf-8")
            print(f"subgraphs: from {args.supergraph}")
        urls = dict(Supergraph.from_sdl(sdl).subgraph_urls)
        supergraph_file = work / "supergraph.graphql"
        supergraph_file.write_text(sdl, encoding="utf-8")

        node_tools = None
        try:
            node_tools = node_tools_dir()
        except BaseException:  # pytest.fail outside pytest when REQUIRE_NODE is set
            node_tools = None
        if node_tools is None:
            print("Hive Gateway: not installed (make install needs npm); its columns are skipped")

        router_url, router_pid = stack.enter_context(our_router(supergraph_file))

        if args.only != "bc":
            floor_url, floor_pid = stack.enter_context(
                passthrough_floor(urls[args.single_subgraph])
            )
            measure_single(args, urls, router_url, router_pid, floor_url, floor_pid)
        if args.only == "a":
            return 0

        # (b) fan-out with nested entity batching over the running subgraphs
        fanout = [
            measure("our router", router_url, args.fanout_query, router_pid, args.fanout_requests,
                    args.fanout_concurrency, args.time_limit, 20),
        ]  # fmt: skip
        for label, extra in hive_variants(node_tools):
            hive = stack.enter_context(run_hive_gateway(node_tools, sdl, extra_args=extra))
            fanout.append(
                measure(label, hive.url, args.fanout_query, hive.pid,
                        args.fanout_requests, args.fanout_concurrency, args.time_limit, 20)
            )  # fmt: skip
        print_table("(b) fan-out, real subgraphs", fanout, args.fanout_concurrency)

        # (c) the same with the subgraphs replaced by a record/replay stub
        stub_base, _ = stack.enter_context(replay_stub(urls))
        replay_sdl = sdl
        for name, url in urls.items():
            replay_sdl = replay_sdl.replace(f'url: "{url}"', f'url: "{stub_base}/{name}/graphql"')
        replay_file = work / "supergraph.replay.graphql"
        replay_file.write_text(replay_sdl, encoding="utf-8")
        replay_router_url, replay_router_pid = stack.enter_context(our_router(replay_file))
        targets = [("our router", replay_router_url, replay_router_pid)]
        for label, extra in hive_variants(node_tools):
            replay_hive = stack.enter_context(
                run_hive_gateway(node_tools, replay_sdl, extra_args=extra)
            )
            targets.append((label, replay_hive.url, replay_hive.pid))
        requests_per_fanout: list[tuple[str, int]] = []
        for label, url, _ in targets:  # record: every gateway's own subgraph requests
            before = httpx.get(f"{stub_base}/__mode").json()["requests"]
            check(label, url, args.fanout_query)
            after = httpx.get(f"{stub_base}/__mode").json()["requests"]
            requests_per_fanout.append((label, after - before))
        httpx.post(f"{stub_base}/__mode", content=b"replay")
        replayed = [
            measure(label, url, args.fanout_query, pid, args.fanout_requests,
                    args.fanout_concurrency, args.time_limit, 20)
            for label, url, pid in targets
        ]  # fmt: skip
        print_table(
            "(c) fan-out, subgraphs replaced by recorded responses",
            replayed,
            args.fanout_concurrency,
        )
        mode = httpx.get(f"{stub_base}/__mode").json()
        print(f"  replay stub: {mode['recordings']} recorded responses, {mode['misses']} misses")
        print(
            "  subgraph requests per fan-out (one request, as recorded): "
            + ", ".join(f"{label} {count}" for label, count in requests_per_fanout)
        )
        load = os.getloadavg()
        print(f"\nload average after the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

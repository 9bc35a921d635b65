"""The in-process platform served on a loopback port from a background thread (for schemathesis).

Schemathesis calls the API with ``requests``, synchronously; the platform (four subgraph apps and
the router) runs in one event loop in a thread of its own, behind uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from tests.router.rest.platform import running_platform


@contextmanager
def served_platform(folder: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Serve the platform until the block ends; yield its base URL and a caller's headers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    started = threading.Event()
    servers: list[uvicorn.Server] = []
    callers: list[dict[str, str]] = []
    failures: list[BaseException] = []

    async def serve() -> None:
        async with running_platform(folder) as platform:
            config = uvicorn.Config(
                platform.router_app, lifespan="off", log_level="warning", access_log=False
            )
            server = uvicorn.Server(config)
            servers.append(server)
            callers.append(platform.caller_headers("test|schemathesis"))
            started.set()
            await server.serve(sockets=[sock])

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported to the test below
            failures.append(exc)
        finally:
            started.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        started.wait(timeout=120)
        while not failures and not (servers and servers[0].started):
            if not thread.is_alive():
                break
            threading.Event().wait(0.02)
        if failures or not servers:
            raise RuntimeError("the platform did not start") from (failures or [None])[0]
        yield f"http://127.0.0.1:{port}", callers[0]
    finally:
        if servers:
            servers[0].should_exit = True
        thread.join(timeout=30)
        sock.close()

"""A lean HTTP/1.1 keep-alive transport for httpx, used by the subgraph client for ``http://`` URLs.

Why: a subgraph call through httpx's default transport (httpcore + anyio) costs about 0.7 ms of CPU
in the router, more than the router's whole overhead target for a single-subgraph query. Subgraph
traffic is narrow: POST of a JSON body to a handful of known origins, over plain HTTP/1.1 on a
private network. This transport does exactly that over asyncio streams, at about a fifth of the
cost, and keeps everything else of httpx (``AsyncClient``, ``Request``/``Response``, timeouts,
decoding, exceptions), so the rest of the router cannot tell the difference.

What it does: one pool of idle keep-alive connections per origin, bounded by ``max_connections``;
``Content-Length`` and chunked response bodies (and read-to-close); httpx's connect/read/write/pool
timeouts; failures raised as httpx's own exceptions. A request that finds its reused connection
closed by the server before any byte of the answer (the keep-alive race) is sent again once on a
new connection: the server never read it. What it does not do: TLS, HTTP/2, proxies, request
streaming, 1xx handling beyond skipping; ``https://`` URLs go to httpx's default transport.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

_MAX_HEAD = 64 * 1024


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        self.writer.close()


class _ServerClosed(Exception):
    """The server closed a reused connection before sending anything: safe to send again."""


class Http11Transport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_connections: int = 100, keepalive_expiry: float = 4.0) -> None:
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._slots = asyncio.Semaphore(max_connections)
        # Below common server keep-alive timeouts (uvicorn: 5 s), so a pooled connection is
        # dropped by us before the server drops it under us.
        self._keepalive_expiry = keepalive_expiry
        self._fallback: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            if self._fallback is None:
                self._fallback = httpx.AsyncHTTPTransport()
            return await self._fallback.handle_async_request(request)
        timeouts = request.extensions.get("timeout", {})
        body = await request.aread()
        head = _request_head(request, len(body))
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise httpx.PoolTimeout("no free connection to the subgraph", request=request) from exc
        try:
            connection = self._take_idle(request)
            if connection is not None:
                try:
                    return await self._exchange(
                        request, connection, head + body, timeouts, reused=True
                    )
                except _ServerClosed:
                    pass  # the keep-alive race: the server closed it without reading
            connection = await self._connect(request, timeouts.get("connect"))
            try:
                return await self._exchange(
                    request, connection, head + body, timeouts, reused=False
                )
            except _ServerClosed as exc:
                raise httpx.RemoteProtocolError(
                    "the server closed the connection without a response", request=request
                ) from exc
        finally:
            self._slots.release()

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
        if self._fallback is not None:
            await self._fallback.aclose()

    def _take_idle(self, request: httpx.Request) -> _Connection | None:
        connections = self._idle.get(_origin(request))
        now = time.monotonic()
        while connections:
            connection = connections.pop()
            if now - connection.idle_since < self._keepalive_expiry and not (
                connection.reader.at_eof() or connection.writer.is_closing()
            ):
                return connection
            connection.close()
        return None

    async def _connect(self, request: httpx.Request, limit: float | None) -> _Connection:
        host, port = _origin(request)
        try:
            async with asyncio.timeout(limit):
                reader, writer = await asyncio.open_connection(host, port, limit=_MAX_HEAD)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(
                f"connecting to {host}:{port} timed out", request=request
            ) from exc
        except OSError as exc:
            raise httpx.ConnectError(
                f"cannot connect to {host}:{port}: {exc}", request=request
            ) from exc
        return _Connection(reader, writer)

    async def _exchange(
        self,
        request: httpx.Request,
        connection: _Connection,
        message: bytes,
        timeouts: dict[str, float | None],
        *,
        reused: bool,
    ) -> httpx.Response:
        reusable = False
        try:
            with _mapped(request, "write"):
                async with asyncio.timeout(timeouts.get("write")):
                    try:
                        connection.writer.write(message)
                        await connection.writer.drain()
                    except ConnectionError as exc:
                        if reused:
                            raise _ServerClosed from exc
                        raise
            with _mapped(request, "read"):
                async with asyncio.timeout(timeouts.get("read")):
                    status, reason, headers, keep_alive = await _read_head(connection.reader)
                    content = await _read_body(connection.reader, request, status, headers)
            reusable = keep_alive and not connection.reader.at_eof()
            return httpx.Response(
                status,
                headers=headers,
                stream=httpx.ByteStream(content),
                extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
            )
        finally:
            if reusable:
                connection.idle_since = time.monotonic()
                self._idle.setdefault(_origin(request), []).append(connection)
            else:
                connection.close()


def _origin(request: httpx.Request) -> tuple[str, int]:
    return request.url.host, request.url.port or 80


def _request_head(request: httpx.Request, length: int) -> bytes:
    target = request.url.raw_path
    lines = [request.method.encode("ascii") + b" " + target + b" HTTP/1.1"]
    has_length = False
    for name, value in request.headers.raw:
        lowered = name.lower()
        if lowered == b"transfer-encoding":
            continue  # the body is always sent whole, with a Content-Length
        if lowered == b"content-length":
            has_length = True
        lines.append(name + b": " + value)
    if not has_length and (length or request.method in ("POST", "PUT", "PATCH")):
        lines.append(b"Content-Length: " + str(length).encode("ascii"))
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def _read_head(
    reader: asyncio.StreamReader,
) -> tuple[int, bytes, list[tuple[bytes, bytes]], bool]:
    first = True
    while True:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if first and not exc.partial:
                raise _ServerClosed from exc
            raise
        except ConnectionError as exc:
            if first:
                raise _ServerClosed from exc
            raise
        first = False
        lines = raw[:-4].split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        code, _, reason = rest.partition(b" ")
        if not version.startswith(b"HTTP/1.") or not code.isdigit():
            raise ValueError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        status = int(code)
        if 100 <= status < 200:
            continue  # interim response (e.g. 100 Continue): the real one follows
        headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                raise ValueError("malformed response header")
            headers.append((name.strip(), value.strip()))
        connection_tokens = b",".join(v for n, v in headers if n.lower() == b"connection").lower()
        if version == b"HTTP/1.1":
            keep_alive = b"close" not in connection_tokens
        else:
            keep_alive = b"keep-alive" in connection_tokens
        return status, reason, headers, keep_alive


async def _read_body(
    reader: asyncio.StreamReader,
    request: httpx.Request,
    status: int,
    headers: list[tuple[bytes, bytes]],
) -> bytes:
    if request.method == "HEAD" or status in (204, 304):
        return b""
    encoding = b",".join(v for n, v in headers if n.lower() == b"transfer-encoding").lower()
    if b"chunked" in encoding:
        chunks: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    lengths = [v for n, v in headers if n.lower() == b"content-length"]
    if lengths:
        return await reader.readexactly(int(lengths[0]))
    return await reader.read()  # no length: the body ends when the server closes


@contextmanager
def _mapped(request: httpx.Request, stage: str) -> Iterator[None]:
    """Translate asyncio/socket failures of one stage into httpx's exceptions."""
    try:
        yield
    except _ServerClosed:
        raise
    except TimeoutError as exc:
        timeout_error = httpx.WriteTimeout if stage == "write" else httpx.ReadTimeout
        raise timeout_error(f"{stage} timed out", request=request) from exc
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        raise httpx.RemoteProtocolError(
            f"malformed or truncated response ({type(exc).__name__})", request=request
        ) from exc
    except OSError as exc:
        error = httpx.WriteError if stage == "write" else httpx.ReadError
        raise error(f"{stage} failed: {exc}", request=request) from exc

"""The lean HTTP/1.1 transport under the subgraph client, against a raw loopback HTTP server.

The server is a few lines of asyncio so that each test can choose exactly how it answers: with a
Content-Length or chunked body, closing the connection, dropping an idle keep-alive connection,
never answering, or answering garbage.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import orjson
import pytest

from router._http11 import Http11Transport
from router.execution import RequestContext, SubgraphUnavailable
from router.subgraph_client import SubgraphClient
from tests.router.standins import RunningFleet, free_port

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[bool]]
BODY = orjson.dumps({"data": {"ok": True}})


async def read_request(reader: asyncio.StreamReader) -> bytes | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return await reader.readexactly(length)


@asynccontextmanager
async def raw_server(respond: Handler) -> AsyncIterator[tuple[str, list[int]]]:
    """Serve with ``respond(reader, writer, n)`` per request (False = close); count connections."""
    connections: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(0)
        index = len(connections) - 1
        try:
            while await read_request(reader) is not None:
                connections[index] += 1
                if not await respond(reader, writer, connections[index]):
                    break
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/graphql", connections
    finally:
        server.close()
        await server.wait_closed()


def content_length_response(body: bytes = BODY, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + extra
        + b"content-length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


async def answer(writer: asyncio.StreamWriter, message: bytes) -> bool:
    writer.write(message)
    await writer.drain()
    return True


async def post(client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await client.post(url, content=b'{"query": "{ ok }"}')


async def test_keeps_the_connection_alive_between_requests() -> None:
    async def respond(_r: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> bool:
        return await answer(writer, content_length_response())

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        for _ in range(3):
            response = await post(client, url)
            assert response.json() == {"data": {"ok": True}}
    assert connections == [3]


async def test_decodes_a_chunked_body_with_trailers() -> None:
    async def respond(_r: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> bool:
        head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        chunks = b"".join(
            f"{len(part):x};ext=1\r\n".encode() + part + b"\r\n" for part in (BODY[:5], BODY[5:])
        )
        return await answer(writer, head + chunks + b"0\r\nx-trailer: 1\r\n\r\n")

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        assert (await post(client, url)).json() == {"data": {"ok": True}}
        assert (await post(client, url)).json() == {"data": {"ok": True}}
    assert connections == [2]


async def test_connection_close_is_honoured() -> None:
    async def respond(_r: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> bool:
        await answer(writer, content_length_response(extra=b"connection: close\r\n"))
        return False

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        for _ in range(2):
            assert (await post(client, url)).status_code == 200
    assert connections == [1, 1]


async def test_idle_connection_dropped_by_the_server_is_replaced_and_the_request_sent_once() -> (
    None
):
    async def respond(_r: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> bool:
        await answer(writer, content_length_response())
        return False  # closes without saying so, like a server whose keep-alive timed out

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        assert (await post(client, url)).status_code == 200
        await asyncio.sleep(0.05)  # let the close reach us (not a timing assertion)
        assert (await post(client, url)).status_code == 200
    assert connections == [1, 1]  # each request reached the server exactly once


async def test_read_timeout_is_httpx_read_timeout() -> None:
    async def respond(_r: asyncio.StreamReader, _w: asyncio.StreamWriter, _n: int) -> bool:
        await asyncio.sleep(3600)
        return False

    async with (
        raw_server(respond) as (url, _),
        # Only the read limit is short: a connect or write slowed by a loaded machine must not
        # end the test first with another timeout class.
        httpx.AsyncClient(
            transport=Http11Transport(), timeout=httpx.Timeout(30.0, read=0.2)
        ) as client,
    ):
        with pytest.raises(httpx.ReadTimeout):
            await post(client, url)


@pytest.mark.parametrize(
    "reply",
    [
        b"SPDY/3 200 OK\r\n\r\n",
        b'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"data"',
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    ],
)
async def test_malformed_or_truncated_answers_are_protocol_errors(reply: bytes) -> None:
    async def respond(_r: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> bool:
        await answer(writer, reply)
        return False

    async with (
        raw_server(respond) as (url, _),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            await post(client, url)


async def test_refused_connection_is_httpx_connect_error() -> None:
    async with httpx.AsyncClient(transport=Http11Transport()) as client:
        with pytest.raises(httpx.ConnectError):
            await post(client, f"http://127.0.0.1:{free_port()}/graphql")


async def test_subgraph_client_reports_a_silent_subgraph_as_timed_out() -> None:
    async def respond(_r: asyncio.StreamReader, _w: asyncio.StreamWriter, _n: int) -> bool:
        await asyncio.sleep(3600)
        return False

    async with raw_server(respond) as (url, _):
        # A generous connect limit, so that under load the failure is the silent read it tests.
        client = SubgraphClient({"users": url}, connect_timeout=30.0, read_timeout=0.2)
        try:
            with pytest.raises(SubgraphUnavailable, match=r"timed out \(ReadTimeout\)"):
                await client.send("users", {"query": "{ ok }"}, RequestContext())
        finally:
            await client.aclose()


async def test_lean_and_default_transports_give_the_same_answers(fleet: RunningFleet) -> None:
    payload = {"query": "{ users(first: 3) { id name riskNote } broken }"}
    answers = []
    for lean in (True, False):
        client = SubgraphClient({"users": fleet.url("users")}, lean_http=lean)
        try:
            answers.append(await client.send("users", payload, RequestContext()))
        finally:
            await client.aclose()
    assert answers[0] == answers[1]
    assert answers[0]["errors"][0]["message"] == "broken on purpose"

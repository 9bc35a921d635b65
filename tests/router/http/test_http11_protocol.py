"""The protocol-based HTTP/1.1 transport on the edges: split reads, cancellation, pooling, limits.

The transport parses whatever the socket hands it, so these tests make the server hand it awkward
pieces (a byte at a time, a head without its body) and check that no half-read connection is ever
pooled. The last test runs the scenarios again on uvloop, the router's event loop: its transports
are not asyncio's, and the transport must not depend on either's quirks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest
import uvloop

from router._http11 import Http11Transport
from tests.router.http import test_http11_transport as basic
from tests.router.http.test_http11_transport import (
    BODY,
    answer,
    content_length_response,
    post,
    raw_server,
)

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter


async def trickle(writer: Writer, message: bytes, step: int = 1) -> None:
    """Send ``message`` ``step`` bytes at a time, each piece flushed on its own."""
    for start in range(0, len(message), step):
        writer.write(message[start : start + step])
        await writer.drain()
        await asyncio.sleep(0.001)  # a separate TCP segment, so a separate data_received


async def test_a_response_arriving_a_byte_at_a_time() -> None:
    async def respond(_r: Reader, writer: Writer, _n: int) -> bool:
        await trickle(writer, content_length_response(extra=b"x-long:  padded value  \r\n"))
        return True

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        for _ in range(2):
            response = await post(client, url)
            assert response.json() == {"data": {"ok": True}}
            assert response.headers["x-long"] == "padded value"
            assert response.reason_phrase == "OK"
    assert connections == [2]


async def test_a_chunked_body_arriving_a_byte_at_a_time() -> None:
    async def respond(_r: Reader, writer: Writer, _n: int) -> bool:
        head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        chunks = b"".join(
            f"{len(part):x}\r\n".encode() + part + b"\r\n"
            for part in (BODY[i : i + 1] for i in range(len(BODY)))
        )
        await trickle(writer, head + chunks[:40])
        await trickle(writer, chunks[40:] + b"0\r\nx-trailer: 1\r\n\r\n", step=7)
        return True

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        for _ in range(2):
            response = await post(client, url)
            assert response.content == BODY
            assert "x-trailer" not in response.headers
    assert connections == [2]


async def test_interim_responses_are_skipped() -> None:
    async def respond(_r: Reader, writer: Writer, _n: int) -> bool:
        interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n"
        return await answer(writer, interim + content_length_response())

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        for _ in range(2):
            response = await post(client, url)
            assert response.status_code == 200
            assert "link" not in response.headers
            assert response.json() == {"data": {"ok": True}}
    assert connections == [2]


async def test_a_body_read_to_the_close_of_the_connection() -> None:
    async def respond(_r: Reader, writer: Writer, _n: int) -> bool:
        await trickle(
            writer, b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n" + BODY, 9
        )
        return False  # the close ends the body

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        for _ in range(2):
            assert (await post(client, url)).json() == {"data": {"ok": True}}
    assert connections == [1, 1]


async def test_204_and_304_have_no_body_and_keep_the_connection() -> None:
    async def respond(_r: Reader, writer: Writer, n: int) -> bool:
        status = b"204 No Content" if n == 1 else b"304 Not Modified"
        return await answer(writer, b"HTTP/1.1 " + status + b"\r\n\r\n")

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        assert (await post(client, url)).status_code == 204
        response = await post(client, url)
        assert (response.status_code, response.content) == (304, b"")
    assert connections == [2]


async def test_a_server_closing_after_the_head_is_a_protocol_error_and_not_retried() -> None:
    async def respond(_r: Reader, writer: Writer, _n: int) -> bool:
        await answer(writer, b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n")
        return False

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            await post(client, url)
    assert connections == [1]  # sent once: the server had read it


async def test_a_fresh_connection_closed_without_an_answer_is_not_retried() -> None:
    async def respond(_r: Reader, _w: Writer, _n: int) -> bool:
        return False

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            await post(client, url)
    assert connections == [1]


async def test_requests_are_never_pipelined() -> None:
    pipelined: list[bytes] = []

    async def respond(reader: Reader, writer: Writer, _n: int) -> bool:
        # Nothing more may arrive on this connection before this request is answered.
        with contextlib.suppress(TimeoutError):
            pipelined.append(await asyncio.wait_for(reader.read(1), 0.05))
        return await answer(writer, content_length_response())

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        responses = await asyncio.gather(*(post(client, url) for _ in range(3)))
        assert all(response.status_code == 200 for response in responses)
        for _ in range(2):
            assert (await post(client, url)).status_code == 200
    assert pipelined == []
    assert len(connections) == 3
    assert sum(connections) == 5


async def test_a_response_cancelled_midway_leaves_no_connection_in_the_pool() -> None:
    half_sent = asyncio.Event()

    async def respond(_r: Reader, writer: Writer, n: int) -> bool:
        if len(connections) == 1:
            message = content_length_response()
            await answer(writer, message[: len(message) - 5])
            half_sent.set()
            await asyncio.sleep(3600)
        return await answer(writer, content_length_response())

    transport = Http11Transport()
    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=transport) as client,
    ):
        first = asyncio.create_task(post(client, url))
        await half_sent.wait()
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert transport._idle.get((b"127.0.0.1", int(url.split(":")[2].split("/")[0]))) in (
            None,
            [],
        )
        for _ in range(2):
            assert (await post(client, url)).json() == {"data": {"ok": True}}
    assert connections == [1, 2]  # the half-read connection was never used again


async def test_bytes_on_an_idle_connection_retire_it() -> None:
    async def respond(_r: Reader, writer: Writer, n: int) -> bool:
        # A stray second response right behind the real one (in the same read, most likely), as a
        # confused server might send: it must neither replace the real one nor answer the next.
        stray = content_length_response(b'{"data": {"stray": true}}') if n == 1 else b""
        return await answer(writer, content_length_response() + stray)

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        assert (await post(client, url)).json() == {"data": {"ok": True}}
        await asyncio.sleep(0.05)  # let a separately sent stray reach us (not a timing assertion)
        assert (await post(client, url)).json() == {"data": {"ok": True}}
    assert connections == [1, 1]


async def test_a_response_head_without_end_is_refused() -> None:
    async def respond(_r: Reader, writer: Writer, _n: int) -> bool:
        await answer(writer, b"HTTP/1.1 200 OK\r\n" + b"x-filler: " + b"a" * 70_000 + b"\r\n")
        await asyncio.sleep(3600)
        return False

    async with (
        raw_server(respond) as (url, _),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError, match="too large"):
            await post(client, url)


async def test_waiting_for_a_connection_beyond_max_connections_is_a_pool_timeout() -> None:
    release = asyncio.Event()

    async def respond(_r: Reader, writer: Writer, _n: int) -> bool:
        await release.wait()
        return await answer(writer, content_length_response())

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(
            transport=Http11Transport(max_connections=1), timeout=httpx.Timeout(30.0, pool=0.1)
        ) as client,
    ):
        first = asyncio.create_task(post(client, url))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await post(client, url)
        release.set()
        assert (await first).status_code == 200
        assert (await post(client, url)).status_code == 200  # the slot was given back
    assert connections == [2]


async def test_expired_idle_connections_are_not_reused() -> None:
    async def respond(_r: Reader, writer: Writer, _n: int) -> bool:
        return await answer(writer, content_length_response())

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport(keepalive_expiry=0.0)) as client,
    ):
        for _ in range(2):
            assert (await post(client, url)).status_code == 200
    assert connections == [1, 1]


async def test_a_server_that_does_not_read_is_a_write_timeout() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def never_read(_reader: Reader, writer: Writer) -> None:
        accepted.append(writer)
        await asyncio.sleep(3600)

    server = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(
            transport=Http11Transport(), timeout=httpx.Timeout(30.0, write=0.2)
        ) as client:
            with pytest.raises(httpx.WriteTimeout):
                # Far more than loopback socket buffers hold, so the write cannot complete.
                await client.post(f"http://127.0.0.1:{port}/graphql", content=b"x" * 64_000_000)
    finally:
        for writer in accepted:
            writer.close()
        server.close()


async def test_aclose_closes_idle_connections() -> None:
    closed = asyncio.Event()

    async def serve(reader: Reader, writer: Writer) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(len(b'{"query": "{ ok }"}'))
        await answer(writer, content_length_response())
        await reader.read()  # until the client closes
        closed.set()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        transport = Http11Transport()
        client = httpx.AsyncClient(transport=transport)
        assert (await post(client, f"http://127.0.0.1:{port}/graphql")).status_code == 200
        await client.aclose()
        await asyncio.wait_for(closed.wait(), 5)
    finally:
        server.close()


Scenario = Callable[[], Coroutine[Any, Any, None]]


@pytest.mark.parametrize(
    "scenario",
    [
        basic.test_keeps_the_connection_alive_between_requests,
        basic.test_decodes_a_chunked_body_with_trailers,
        basic.test_connection_close_is_honoured,
        basic.test_idle_connection_dropped_by_the_server_is_replaced_and_the_request_sent_once,
        basic.test_read_timeout_is_httpx_read_timeout,
        basic.test_refused_connection_is_httpx_connect_error,
        test_a_response_arriving_a_byte_at_a_time,
        test_a_body_read_to_the_close_of_the_connection,
        test_a_server_closing_after_the_head_is_a_protocol_error_and_not_retried,
        test_a_response_cancelled_midway_leaves_no_connection_in_the_pool,
        test_bytes_on_an_idle_connection_retire_it,
        test_a_server_that_does_not_read_is_a_write_timeout,
    ],
    ids=lambda scenario: scenario.__name__.removeprefix("test_"),
)
def test_under_uvloop(scenario: Scenario) -> None:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())


async def _closing_the_second_request(*, idempotent: bool) -> tuple[object, list[int]]:
    """A keep-alive connection whose server closes it after reading the second request."""

    async def respond(_r: Reader, writer: Writer, n: int) -> bool:
        if n == 2:
            return False  # read it whole, then close without a word
        return await answer(writer, content_length_response())

    async with (
        raw_server(respond) as (url, connections),
        httpx.AsyncClient(transport=Http11Transport()) as client,
    ):
        extensions = {"idempotent": True} if idempotent else {}
        first = await client.post(url, content=b'{"query": "{ ok }"}', extensions=extensions)
        assert first.status_code == 200
        try:
            outcome: object = await client.post(
                url, content=b'{"query": "{ ok }"}', extensions=extensions
            )
        except httpx.HTTPError as exc:
            outcome = exc
    return outcome, connections


async def test_an_idempotent_request_unanswered_on_a_reused_connection_is_sent_again() -> None:
    outcome, connections = await _closing_the_second_request(idempotent=True)
    assert isinstance(outcome, httpx.Response) and outcome.status_code == 200
    assert connections == [2, 1]  # read by the server that closed, then answered on a new one


async def test_a_request_not_marked_idempotent_is_never_sent_twice() -> None:
    # The server read it before closing: it may have acted on it (a mutation), so no resend.
    outcome, connections = await _closing_the_second_request(idempotent=False)
    assert isinstance(outcome, httpx.RemoteProtocolError)
    assert "not sent again" in str(outcome)
    assert connections == [2]


async def test_a_request_lost_while_still_being_written_is_sent_again() -> None:
    # The server cannot have acted on half a request, whatever it is: sent again on a new one.
    big = b'{"query": "{ ok }", "pad": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    requests_seen: list[int] = []

    async def serve(reader: Reader, writer: Writer) -> None:
        index = len(requests_seen)
        requests_seen.append(0)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                requests_seen[index] += 1
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                if index == 0 and requests_seen[index] == 2:
                    writer.transport.abort()  # reset mid-body: most of it was never read
                    return
                await reader.readexactly(length)
                await answer(writer, content_length_response())
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/graphql"
    try:
        async with httpx.AsyncClient(transport=Http11Transport(), timeout=30) as client:
            assert (await post(client, url)).status_code == 200
            response = await client.post(url, content=big)  # not marked idempotent
            assert response.status_code == 200
    finally:
        server.close()
        await server.wait_closed()
    assert requests_seen == [2, 1]


@pytest.mark.parametrize("framing", ["content-length", "read-to-close"])
async def test_a_body_that_does_not_decode_fails_at_once(framing: str) -> None:
    garbage = b"this is not gzip"
    length = f"content-length: {len(garbage)}\r\n".encode() if framing == "content-length" else b""

    async def respond(_r: Reader, writer: Writer, _n: int) -> bool:
        await answer(writer, b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\n" + length + b"\r\n")
        await answer(writer, garbage)
        return False  # read-to-close: the body ends here

    async with (
        raw_server(respond) as (url, _connections),
        # A long read timeout: the failure must come from the body, not from waiting it out.
        httpx.AsyncClient(transport=Http11Transport(), timeout=30) as client,
    ):
        with pytest.raises(httpx.DecodingError):
            await post(client, url)

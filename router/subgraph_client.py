"""The subgraph client: the only place where the router talks to subgraphs over the network.

It implements the executor's ``SubgraphTransport`` seam with one ``httpx.AsyncClient`` per
subgraph, so that each subgraph gets its own keep-alive pool and a slow subgraph cannot starve the
others of connections. Each response body is decoded exactly once (orjson) and handed to the
executor as a dict. httpx's exceptions never leave this module: they become ``SubgraphUnavailable``
(``raise ... from exc``), whose reason names the failure but never carries the request's
variables, which may be sensitive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from router._http11 import IDEMPOTENT, Http11Transport
from router.execution import RequestContext, SubgraphUnavailable

_HEADERS = [
    ("accept", "application/graphql-response+json, application/json;q=0.9"),
    ("content-type", "application/json"),
]


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing.

    The router serves many callers over the same clients: a cookie set by a subgraph response and
    replayed on later subgraph requests would carry one caller's state into another's request.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class _SubgraphHTTPClient(httpx.AsyncClient):
    _no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        raise TypeError("the subgraph client keeps no cookies")


class SubgraphClient:
    """Send GraphQL requests to subgraphs over HTTP; one pooled ``httpx.AsyncClient`` each.

    Plain ``http://`` subgraphs go through ``Http11Transport`` (``lean_http``, the default), a lean
    keep-alive transport that costs a fraction of httpx's default one; ``lean_http=False`` uses
    httpx's default transport. ``transports`` lets a caller swap the network for another httpx
    transport per subgraph (e.g. ``httpx.ASGITransport`` to run a subgraph app in-process).
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 10.0,
        max_connections: int = 100,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        lean_http: bool = True,
    ) -> None:
        self._urls = dict(urls)
        # Parsed once: httpx would otherwise parse the URL string again on every request.
        self._parsed_urls = {name: httpx.URL(url) for name, url in self._urls.items()}
        self._base_headers = {
            name: [("host", url.netloc.decode("ascii")), *_HEADERS]
            for name, url in self._parsed_urls.items()
        }
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        transports = dict(transports or {})
        if lean_http:
            for name in self._urls:
                transports.setdefault(name, Http11Transport(max_connections=max_connections))
        self._clients = {
            name: _SubgraphHTTPClient(
                timeout=timeout, limits=limits, transport=transports.get(name)
            )
            for name in self._urls
        }
        # Requests are built here rather than by client.post(): merging client defaults into
        # every request was a measurable share of a subgraph call.
        self._timeout = timeout.as_dict()

    @property
    def urls(self) -> Mapping[str, str]:
        """The URL of each subgraph this client sends to."""
        return self._urls

    async def send(
        self, subgraph: str, payload: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        """POST ``payload`` to ``subgraph`` and return its decoded GraphQL response.

        Raises ``SubgraphUnavailable`` when the subgraph cannot be reached, times out, or answers
        with something that is not a GraphQL response.
        """
        headers: dict[str, str] | None = None
        if context.headers or context.request_id is not None:
            headers = dict(context.headers)
            if context.request_id is not None:
                headers["x-request-id"] = context.request_id
        return await self._post(
            subgraph, orjson.dumps(payload), headers, idempotent=_is_query(payload.get("query"))
        )

    async def aclose(self) -> None:
        """Close every connection pool."""
        await asyncio.gather(*(client.aclose() for client in self._clients.values()))

    async def _post(
        self,
        subgraph: str,
        content: bytes,
        headers: dict[str, str] | None,
        *,
        idempotent: bool = False,
    ) -> dict[str, Any]:
        try:
            client = self._clients[subgraph]
        except KeyError:
            raise SubgraphUnavailable(subgraph, "unknown subgraph") from None
        url = self._parsed_urls[subgraph]
        request_headers = [
            *self._base_headers[subgraph],
            ("content-length", str(len(content))),
            *(headers.items() if headers else ()),
        ]
        # stream=, not content=: the body and its headers are complete here, and httpx's own
        # preparation of a content= request (encoding, defaults, reading it back) is skipped.
        request = httpx.Request(
            "POST",
            url,
            headers=request_headers,
            stream=httpx.ByteStream(content),
            # A query may be sent again if a reused connection dies unanswered; a mutation never.
            extensions={"timeout": self._timeout, IDEMPOTENT: idempotent},
        )
        try:
            response = await client.send(request)
        except httpx.TimeoutException as exc:
            raise SubgraphUnavailable(subgraph, f"timed out ({type(exc).__name__})") from exc
        except httpx.ConnectError as exc:
            raise SubgraphUnavailable(subgraph, "could not connect") from exc
        except httpx.HTTPError as exc:
            raise SubgraphUnavailable(
                subgraph, f"HTTP transport error ({type(exc).__name__})"
            ) from exc
        return _decode(subgraph, response)


def _is_query(document: object) -> bool:
    # The planner's subgraph operations start with their keyword ("query" / "mutation") or are a
    # bare selection set (a query); anything else is not known to be safe to repeat.
    if not isinstance(document, str):
        return False
    text = document.lstrip()
    after = text[5:6]
    return text.startswith("{") or (
        text.startswith("query") and not (after.isalnum() or after == "_")
    )


def _decode(subgraph: str, response: httpx.Response) -> dict[str, Any]:
    # Under GraphQL-over-HTTP a subgraph may answer 4xx with a well-formed GraphQL response (e.g. a
    # validation error with application/graphql-response+json); that body is worth more to the
    # client than a generic failure, so any status is accepted when the body is a GraphQL response.
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise SubgraphUnavailable(
            subgraph, f"HTTP {response.status_code} with a body that is not JSON"
        ) from exc
    if not isinstance(body, dict) or not ("data" in body or "errors" in body):
        raise SubgraphUnavailable(
            subgraph, f"HTTP {response.status_code} with a body that is not a GraphQL response"
        )
    if response.status_code >= 500 and body.get("data") is None and not body.get("errors"):
        raise SubgraphUnavailable(subgraph, f"HTTP {response.status_code}")
    return body

"""The subgraph client: the only place where the router talks to subgraphs over the network.

It implements the executor's ``SubgraphTransport`` seam with one ``httpx.AsyncClient`` per
subgraph, so that each subgraph gets its own keep-alive pool and a slow subgraph cannot starve the
others of connections. Each response body is decoded exactly once (orjson) and handed to the
executor as a dict. httpx's exceptions never leave this module: they become ``SubgraphUnavailable``
(``raise ... from exc``), whose reason names the failure but never carries the request's
variables, which may be sensitive.

Every fetch runs under its subgraph's ``SubgraphPolicy`` (router/resilience.py, ADR 0023): a
circuit breaker that refuses fetches at once while the subgraph is known to be down, a bound on
fetches in flight, a whole-fetch timeout over connect and read timeouts, and a bounded retry with
jitter for queries whose failure reached no resolver. A mutation is sent at most once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from router._http11 import IDEMPOTENT, Http11Transport
from router.execution import RequestContext, SubgraphUnavailable
from router.resilience import (
    BreakerSnapshot,
    CircuitBreaker,
    StateListener,
    SubgraphPolicy,
    retry_delay,
)

_HEADERS = [
    ("accept", "application/graphql-response+json, application/json;q=0.9"),
    ("content-type", "application/json"),
]


class _Retryable(SubgraphUnavailable):
    """A failure that reached no resolver: a query may be sent again."""


# Gateways in front of a subgraph answer these while it restarts; nothing was executed.
_RETRYABLE_STATUSES = frozenset({502, 503, 504})


@dataclass(slots=True)
class _Guard:
    """What protects one subgraph: its policy, breaker, concurrency slots and timeouts."""

    policy: SubgraphPolicy
    breaker: CircuitBreaker
    slots: asyncio.Semaphore
    timeout: dict[str, float | None]


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
        policy: SubgraphPolicy | None = None,
        policies: Mapping[str, SubgraphPolicy] | None = None,
    ) -> None:
        """Build one pooled client, breaker and concurrency bound per subgraph.

        ``policy`` applies to every subgraph not named in ``policies``; without it, one is built
        from ``connect_timeout`` and ``read_timeout`` with the other defaults.
        """
        self._urls = dict(urls)
        # Parsed once: httpx would otherwise parse the URL string again on every request.
        self._parsed_urls = {name: httpx.URL(url) for name, url in self._urls.items()}
        self._base_headers = {
            name: [("host", url.netloc.decode("ascii")), *_HEADERS]
            for name, url in self._parsed_urls.items()
        }
        default = policy or SubgraphPolicy(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            fetch_timeout=max(15.0, connect_timeout + read_timeout),
        )
        self._listeners: list[StateListener] = []
        self._guards: dict[str, _Guard] = {}
        for name in self._urls:
            chosen = (policies or {}).get(name, default)
            timeout = httpx.Timeout(chosen.read_timeout, connect=chosen.connect_timeout)
            self._guards[name] = _Guard(
                policy=chosen,
                breaker=CircuitBreaker(name, chosen, listeners=self._listeners),
                slots=asyncio.Semaphore(chosen.max_concurrency),
                # Requests are built here rather than by client.post(): merging client defaults
                # into every request was a measurable share of a subgraph call.
                timeout=timeout.as_dict(),
            )
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        transports = dict(transports or {})
        if lean_http:
            for name in self._urls:
                transports.setdefault(name, Http11Transport(max_connections=max_connections))
        self._clients = {
            name: _SubgraphHTTPClient(
                timeout=httpx.Timeout(
                    self._guards[name].policy.read_timeout,
                    connect=self._guards[name].policy.connect_timeout,
                ),
                limits=limits,
                transport=transports.get(name),
            )
            for name in self._urls
        }

    def add_breaker_listener(self, listener: StateListener) -> None:
        """Call ``listener(subgraph, old, new)`` on every circuit breaker state change.

        The hook for metrics and alerts: it runs on the event loop, inside the fetch that caused
        the change, so it must be quick and must not block (exceptions are logged and ignored).
        """
        self._listeners.append(listener)

    def breakers(self) -> dict[str, BreakerSnapshot]:
        """Return the state and counters of every subgraph's circuit breaker, by name."""
        return {name: guard.breaker.snapshot() for name, guard in self._guards.items()}

    def policy(self, subgraph: str) -> SubgraphPolicy:
        """Return the policy that applies to ``subgraph``."""
        return self._guards[subgraph].policy

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
        if context.headers or context.request_id is not None or context.subgraph_headers:
            headers = dict(context.headers_for(subgraph))
            if context.request_id is not None:
                headers["x-request-id"] = context.request_id
        return await self._guarded(
            subgraph, orjson.dumps(payload), headers, idempotent=_is_query(payload.get("query"))
        )

    async def aclose(self) -> None:
        """Close every connection pool."""
        await asyncio.gather(*(client.aclose() for client in self._clients.values()))

    async def _guarded(
        self,
        subgraph: str,
        content: bytes,
        headers: dict[str, str] | None,
        *,
        idempotent: bool,
    ) -> dict[str, Any]:
        """Send under the subgraph's breaker, concurrency bound, fetch timeout and retry rule."""
        try:
            guard = self._guards[subgraph]
        except KeyError:
            raise SubgraphUnavailable(subgraph, "unknown subgraph") from None
        breaker, policy = guard.breaker, guard.policy
        if not breaker.acquire():
            # Checked before queueing too: while open, a fetch costs no wait and no connect.
            raise _circuit_open(subgraph, breaker)
        breaker.release()
        waiting = True  # for a concurrency slot (else: sending or pausing between attempts)
        outcome_pending = False  # the breaker let a fetch through and waits for its outcome
        try:
            async with asyncio.timeout(policy.fetch_timeout), guard.slots:
                waiting = False
                attempt = 0
                while True:
                    if not breaker.acquire():
                        raise _circuit_open(subgraph, breaker)
                    outcome_pending = True
                    try:
                        body = await self._post(
                            subgraph, guard, content, headers, idempotent=idempotent
                        )
                    except SubgraphUnavailable as exc:
                        outcome_pending = False
                        breaker.record_failure()
                        retry = (
                            idempotent
                            and isinstance(exc, _Retryable)
                            and attempt < policy.retry_attempts
                        )
                        if not retry:
                            raise
                        attempt += 1
                        await asyncio.sleep(retry_delay(policy, attempt))
                        continue
                    outcome_pending = False
                    breaker.record_success()
                    return body
        except TimeoutError:
            if outcome_pending:
                breaker.record_failure()
            if waiting:
                raise SubgraphUnavailable(
                    subgraph,
                    f"{policy.max_concurrency} fetches in flight; no slot within "
                    f"{policy.fetch_timeout:g}s",
                ) from None
            raise SubgraphUnavailable(
                subgraph, f"no answer within the fetch timeout of {policy.fetch_timeout:g}s"
            ) from None
        except asyncio.CancelledError:
            if outcome_pending:
                breaker.release()
            raise

    async def _post(
        self,
        subgraph: str,
        guard: _Guard,
        content: bytes,
        headers: dict[str, str] | None,
        *,
        idempotent: bool = False,
    ) -> dict[str, Any]:
        client = self._clients[subgraph]
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
            extensions={"timeout": guard.timeout, IDEMPOTENT: idempotent},
        )
        try:
            response = await client.send(request)
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached the subgraph: safe to try again.
            raise _Retryable(subgraph, f"timed out ({type(exc).__name__})") from exc
        except httpx.TimeoutException as exc:
            # A read timeout: the subgraph may be working on it; sending it again adds load.
            raise SubgraphUnavailable(subgraph, f"timed out ({type(exc).__name__})") from exc
        except httpx.ConnectError as exc:
            raise _Retryable(subgraph, "could not connect") from exc
        except (httpx.RemoteProtocolError, httpx.WriteError) as exc:
            # The connection died before an answer (a subgraph killed mid-request, say).
            raise _Retryable(subgraph, f"HTTP transport error ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise SubgraphUnavailable(
                subgraph, f"HTTP transport error ({type(exc).__name__})"
            ) from exc
        return _decode(subgraph, response)


def _circuit_open(subgraph: str, breaker: CircuitBreaker) -> SubgraphUnavailable:
    snapshot = breaker.snapshot()
    return SubgraphUnavailable(
        subgraph,
        f"circuit open after {snapshot.consecutive_failures} consecutive failures "
        f"(next probe in {breaker.retry_in():.1f}s)",
    )


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
        unavailable = (
            _Retryable if response.status_code in _RETRYABLE_STATUSES else SubgraphUnavailable
        )
        raise unavailable(
            subgraph, f"HTTP {response.status_code} with a body that is not JSON"
        ) from exc
    if not isinstance(body, dict) or not ("data" in body or "errors" in body):
        raise SubgraphUnavailable(
            subgraph, f"HTTP {response.status_code} with a body that is not a GraphQL response"
        )
    if response.status_code >= 500 and body.get("data") is None and not body.get("errors"):
        raise SubgraphUnavailable(subgraph, f"HTTP {response.status_code}")
    return body

"""Asking an owning subgraph whether a referenced entity exists and may be used.

A write that references another subgraph's entity (an account's user, a transaction's account)
is checked against its owner over HTTP, through the owner's standard federation ``_entities``
field, the same door the router uses, so no private endpoint is needed and no subgraph reads
another's database. See docs/decisions/0004-cross-subgraph-checks.md for why the check is
synchronous and why an unreachable owner refuses the write.

    owner = OwnerClient("users", settings.users_url, http)
    user = await owner.require(
        "User", user_id, field="userId", usable=lambda user: user["status"] != "CLOSED"
    )
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from crypto import INTERNAL_TOKEN_HEADER, REQUEST_ID_HEADER

from .authorization import Forbidden, Unauthenticated
from .errors import BadUserInput, DependencyUnavailable, RuleViolation

__all__ = ["OwnerClient"]

log = logging.getLogger(__name__)
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*\Z")


class OwnerClient:
    """Looks entities up in one owning subgraph through ``_entities``."""

    def __init__(
        self,
        name: str,
        url: str,
        http: httpx.AsyncClient,
        *,
        token: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self._http = http
        self._token = token
        self._request_id = request_id

    def with_token(self, token: str | None, request_id: str | None = None) -> OwnerClient:
        """Return this client sending ``token`` as the request's ``X-Internal-Token``.

        Owner checks forward the caller's own internal token (valid for its short life and for
        every subgraph), so the owner applies the caller's rights (docs/decisions, 0012), and
        the request's id (``X-Request-Id``), so the owner's logs and audit name the same request.
        """
        return OwnerClient(self.name, self.url, self._http, token=token, request_id=request_id)

    def __repr__(self) -> str:
        return f"OwnerClient({self.name!r}, {self.url!r})"

    async def fetch(
        self, typename: str, ids: Sequence[str], fields: Sequence[str] = ("id", "status")
    ) -> list[dict[str, Any] | None]:
        """Return the ``fields`` of each entity, ``None`` where the owner knows no such id.

        Raises :class:`DependencyUnavailable` when the owner cannot be reached or answers badly.
        """
        for name in (typename, *fields):
            if not _NAME.match(name):
                raise ValueError("typename and fields must be GraphQL names")
        selection = " ".join(fields)
        query = (
            "query OwnerCheck($representations: [_Any!]!) { _entities(representations: "
            f"$representations) {{ ... on {typename} {{ {selection} }} }} }}"
        )
        representations = [{"__typename": typename, "id": entity_id} for entity_id in ids]
        try:
            response = await self._http.post(
                self.url,
                json={"query": query, "variables": {"representations": representations}},
                headers=self._headers(),
            )
        except httpx.HTTPError as exc:
            log.warning("owner %s unreachable: %s", self.name, type(exc).__name__)
            raise DependencyUnavailable(self.name) from exc
        return self._entities_of(response, len(ids))

    def _headers(self) -> dict[str, str]:
        headers = {"accept": "application/json"}
        if self._token is not None:
            headers[INTERNAL_TOKEN_HEADER] = self._token
        if self._request_id is not None:
            headers[REQUEST_ID_HEADER] = self._request_id
        return headers

    def _entities_of(self, response: httpx.Response, expected: int) -> list[dict[str, Any] | None]:
        if response.status_code == 401:
            # The caller's token expired on the way, or the owner trusts other keys.
            log.warning("owner %s refused the forwarded internal token", self.name)
            raise Unauthenticated("The caller's identity was refused by the owning service.")
        if response.status_code != 200:
            log.warning("owner %s answered HTTP %s", self.name, response.status_code)
            raise DependencyUnavailable(self.name, f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise DependencyUnavailable(self.name, "answer was not JSON") from exc
        if not isinstance(body, dict):
            raise DependencyUnavailable(self.name, "answer was not a GraphQL response")
        data = body.get("data")
        entities = data.get("_entities") if isinstance(data, dict) else None
        if body.get("errors") or not isinstance(entities, list) or len(entities) != expected:
            codes = [
                (error.get("extensions") or {}).get("code")
                for error in body.get("errors") or []
                if isinstance(error, dict)
            ]
            log.warning("owner %s answered with errors %s", self.name, codes)
            if "FORBIDDEN" in codes:
                # The caller may not see the referenced entity, so may not reference it either.
                raise Forbidden(f"You may not reference this {self.name} entity.", reason="NOT_OWN")
            raise DependencyUnavailable(self.name, "the owner answered with an error")
        return [entity if isinstance(entity, dict) else None for entity in entities]

    async def require(
        self,
        typename: str,
        entity_id: str,
        *,
        field: str,
        fields: Sequence[str] = ("id", "status"),
        usable: Callable[[Mapping[str, Any]], bool] = lambda _entity: True,
        unusable_message: str | None = None,
    ) -> dict[str, Any]:
        """Return the entity, or refuse the write.

        An unknown id is a ``BAD_USER_INPUT`` on ``field`` (reason ``UNKNOWN_REFERENCE``); an
        entity that ``usable`` rejects is a ``RULE_VIOLATION`` (reason ``REFERENCE_NOT_USABLE``);
        an unreachable owner is ``DEPENDENCY_UNAVAILABLE`` (retryable).
        """
        [entity] = await self.fetch(typename, [entity_id], fields)
        if entity is None:
            raise BadUserInput.single(field, f"no {typename} with this id exists")
        if not usable(entity):
            raise RuleViolation(
                unusable_message or f"The {typename} is not in a state that allows this change.",
                reason="REFERENCE_NOT_USABLE",
                field=field,
            )
        return entity

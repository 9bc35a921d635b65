"""The HTTP client of commands that write through the public GraphQL API (demo, legacy import).

A caller token, when given (``--token`` or ``WEALTHTECH_TOKEN``), is sent as
``Authorization: Bearer ...``, the way any API client authenticates to the router.
"""

from __future__ import annotations

import argparse
import os

import httpx

__all__ = ["TOKEN_VARIABLE", "add_token_argument", "api_client"]

TOKEN_VARIABLE = "WEALTHTECH_TOKEN"  # noqa: S105 - the name of a variable, not a secret


def add_token_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--token`` (default: the ``WEALTHTECH_TOKEN`` variable)."""
    parser.add_argument(
        "--token",
        default=None,
        help=f"caller token sent as 'Authorization: Bearer ...' (default: ${TOKEN_VARIABLE})",
    )


def api_client(token: str | None) -> httpx.AsyncClient:
    """Return a client for the API, authenticated with ``token`` or ``$WEALTHTECH_TOKEN``."""
    token = token or os.environ.get(TOKEN_VARIABLE) or None
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(timeout=30.0, headers=headers)

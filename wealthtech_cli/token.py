"""``wealthtech token``: development caller tokens, and internal tokens for standard gateways.

* ``wealthtech token --role client --user usr_... [--scope pii:read] [--ttl 1h]`` prints an HS256
  caller token signed with the router's development secret (``<WEALTHTECH_DATA_DIR>/keys/
  jwt-dev-secret``, or ``ROUTER_JWT_HS256_SECRET``), to send as ``Authorization: Bearer ...``.
* ``wealthtech token --internal --role admin --scope pii:read --ttl 30d`` prints an internal
  token signed with the router's internal signing key (``ROUTER_INTERNAL_SIGNING_KEY[_FILE]`` or
  the development pair): a standard gateway (Hive Gateway, Apollo Router) in front of the
  subgraphs sends it as ``X-Internal-Token`` on every subgraph request (docs/security.md). It
  speaks for one fixed identity, so it lives longer (default one day) and is rotated by minting a
  new one.

Only the token goes to standard output, so ``TOKEN=$(wealthtech token ...)`` works.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from crypto import CryptoError
from crypto.internal_token import mint_internal_token
from router.auth import ROLES, SecuritySettings, hs256_secret, load_signing_key, mint_dev_token

__all__ = ["parse_ttl", "register", "run"]

_TTL = re.compile(r"^(\d+)([smhd]?)\Z")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_TTL_SECONDS = 90 * 86400


def parse_ttl(text: str) -> int:
    """Parse ``3600``, ``90s``, ``30m``, ``12h`` or ``30d`` into seconds (1 s .. 90 days)."""
    match = _TTL.match(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError("use seconds or a number with s, m, h or d (e.g. 12h)")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not 1 <= seconds <= MAX_TTL_SECONDS:
        raise argparse.ArgumentTypeError("the ttl must be between 1 second and 90 days")
    return seconds


def register(commands: Any) -> None:
    """Add the ``token`` sub-command to ``commands`` (an argparse sub-parsers object)."""
    parser = commands.add_parser(
        "token",
        help="mint a development caller token (or --internal: a token for a standard gateway)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument(
        "--role", action="append", required=True, choices=ROLES, help="repeat for several roles"
    )
    parser.add_argument("--user", dest="user_id", help="users-subgraph id (role client)")
    parser.add_argument("--sub", help="subject (default: derived from the user or role)")
    parser.add_argument(
        "--scope",
        action="append",
        default=[],
        help="a granted scope, e.g. pii:read (repeat, or space-separate)",
    )
    parser.add_argument(
        "--ttl", type=parse_ttl, default=None, help="lifetime (default 1h; --internal: 1d)"
    )
    parser.add_argument(
        "--internal",
        action="store_true",
        help="an X-Internal-Token for a standard gateway in front of the subgraphs",
    )
    parser.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    settings = SecuritySettings()
    scopes = sorted({scope for item in options.scope for scope in item.split()})
    try:
        token = (
            _internal(options, settings, scopes)
            if options.internal
            else _caller(options, settings, scopes)
        )
    except (CryptoError, ValueError, OSError) as exc:
        print(f"error: cannot mint a token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _caller(options: argparse.Namespace, settings: SecuritySettings, scopes: list[str]) -> str:
    secret = hs256_secret(settings)
    if secret is None:
        raise ValueError(
            "no HS256 secret: production mode needs ROUTER_JWT_HS256_SECRET (or tokens from "
            "your identity provider)"
        )
    return mint_dev_token(
        secret,
        roles=options.role,
        sub=options.sub,
        user_id=options.user_id,
        scope=scopes,
        ttl_seconds=options.ttl or 3600,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


def _internal(options: argparse.Namespace, settings: SecuritySettings, scopes: list[str]) -> str:
    role_names = sorted(set(options.role))
    return mint_internal_token(
        load_signing_key(settings),
        sub=options.sub or f"gateway:{'+'.join(role_names)}",
        roles=role_names,
        scope=scopes,
        user_id=options.user_id,
        request_id=None,
        ttl=options.ttl or 86400,
    )

"""The hash chain over compliance log revisions: what is hashed, and how (pure functions).

Every revision is one link of a single global chain, in insertion order (``chain_index`` 1, 2,
...). A link's ``hash`` is SHA-256 over the canonical JSON of the revision's public content and
its predecessor's hash (64 zeros for the first). One global chain rather than one per log: a
log whose revisions were all removed leaves a gap in the chain, which per-log chains would not
show.

Sealed fields (``log_details``, ``response_id``) enter the chain through ``content_digest``, a
keyed HMAC of their canonical plaintext computed with the subgraph's blind-index key: the chain
neither stores nor leaks the plaintext (a plain SHA-256 of a short response id could be
brute-forced), and re-encrypting a revision under a new data key leaves its links intact. See
docs/decisions/0008-compliance-hash-chain.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Protocol

__all__ = [
    "CONTENT_DOMAIN",
    "GENESIS_HASH",
    "LINK_FORMAT",
    "ChainLink",
    "canonical_json",
    "content_digest_input",
    "link_hash",
    "link_payload",
]

GENESIS_HASH = "0" * 64
LINK_FORMAT = 1
# Domain separation: this HMAC input can never equal a client reference's blind index input.
CONTENT_DOMAIN = "wealthtech/compliance-log-content/v1\n"


class ChainLink(Protocol):
    """What a link's hash covers (the columns of ``ComplianceLogRevisionRow``)."""

    id: str
    log_id: str
    revision: int
    chain_index: int
    user_id: str | None
    account_id: str | None
    transaction_id: str | None
    event_type: str
    outcome: str
    provider: str | None
    performed_by: str
    content_digest: str
    created_at: dt.datetime
    previous_hash: str


def canonical_json(value: Any) -> str:
    """Serialise ``value`` one way only: sorted keys, no spaces, UTF-8 text, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def content_digest_input(log_details: Mapping[str, Any], response_id: str) -> str:
    """Return the text whose keyed digest stands for a revision's sealed content in the chain."""
    return CONTENT_DOMAIN + canonical_json({"log_details": log_details, "response_id": response_id})


def _timestamp(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("chain timestamps are aware UTC datetimes")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def link_payload(link: ChainLink) -> bytes:
    """Return the exact bytes a link's hash is computed over."""
    return canonical_json(
        {
            "format": LINK_FORMAT,
            "chain_index": link.chain_index,
            "id": link.id,
            "log_id": link.log_id,
            "revision": link.revision,
            "user_id": link.user_id,
            "account_id": link.account_id,
            "transaction_id": link.transaction_id,
            "event_type": link.event_type,
            "outcome": link.outcome,
            "provider": link.provider,
            "performed_by": link.performed_by,
            "content_digest": link.content_digest,
            "created_at": _timestamp(link.created_at),
            "previous_hash": link.previous_hash,
        }
    ).encode("utf-8")


def link_hash(link: ChainLink) -> str:
    """Return the SHA-256 (hex) that ``link.hash`` must hold."""
    return hashlib.sha256(link_payload(link)).hexdigest()

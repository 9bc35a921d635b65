"""The canonical form of a createTransaction request, for idempotency keys.

A retry must carry the same body as the first request. The service stores, next to the key, a
fingerprint of the request's canonical form: the input fields as the caller sent them (omitted
and null are the same; decimals keep the digits the caller wrote; dates are ISO 8601), as JSON
with sorted keys. The fingerprint is a keyed HMAC (the subgraph's blind-index key), not a plain
hash: amounts are sealed, and a plain hash of a body whose other fields are in the clear could be
brute-forced back to its amount.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crypto import EncryptionSession

__all__ = ["canonical_request", "fingerprint", "matches_fingerprint"]

# Separates these digests from any other use of the blind-index key.
_DOMAIN = "transactions/createTransaction/v1\n"


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def canonical_request(fields: Mapping[str, Any]) -> str:
    """Return the canonical JSON text of a request's input fields (``None`` ones dropped)."""
    body = {name: _plain(value) for name, value in fields.items() if value is not None}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def fingerprint(encryption: EncryptionSession, canonical: str) -> str:
    """Return the keyed fingerprint of a canonical request, under the active index key."""
    return encryption.blind_index_reference(_DOMAIN + canonical)


def matches_fingerprint(encryption: EncryptionSession, canonical: str, stored: str) -> bool:
    """Tell whether ``stored`` is the fingerprint of ``canonical`` under any known index key."""
    return stored in encryption.blind_index_reference_candidates(_DOMAIN + canonical)

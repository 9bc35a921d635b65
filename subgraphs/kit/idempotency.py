"""Keyed fingerprints of a write's request, stored next to its idempotency key.

A retry must carry the same request as the first one. The service stores, next to the key, a
fingerprint of the request's canonical form: the input fields as the caller sent them (omitted
and null are the same; enums by value; decimals with the digits the caller wrote; dates in ISO
8601), as JSON with sorted keys. The fingerprint is a keyed HMAC under the subgraph's blind-index
key, not a plain hash: sealed fields (amounts, response ids) would otherwise be brute-forced back
from a hash of a request whose other fields are in the clear. Each operation has its own domain
label, so these digests never collide with any other use of the blind-index key.

Shared by every subgraph with an idempotent create (transactions, compliance; decisions 0007 and
0014), so the canonical form, and so the stored fingerprints, cannot drift apart between them.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crypto import EncryptionSession

__all__ = ["RequestFingerprints", "canonical_request"]


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
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


class RequestFingerprints:
    """Fingerprints of one operation's canonical requests.

    ``operation`` names it and its canonical form's version, e.g.
    ``"transactions/createTransaction/v1"``: the domain label of its digests.
    """

    def __init__(self, operation: str) -> None:
        self._domain = operation + "\n"

    def of(self, encryption: EncryptionSession, canonical: str) -> str:
        """Return the keyed fingerprint of a canonical request, under the active index key."""
        return encryption.blind_index_reference(self._domain + canonical)

    def matches(self, encryption: EncryptionSession, canonical: str, stored: str) -> bool:
        """Tell whether ``stored`` is the fingerprint of ``canonical`` under any known index key."""
        return stored in encryption.blind_index_reference_candidates(self._domain + canonical)

"""The canonical form of a createComplianceLog request, for idempotency keys.

Mirrors the transactions subgraph (docs/decisions/0007-transactions-money-and-idempotency.md,
0014-compliance-idempotency.md). A retry must carry the same request as the first one. Next to
the key, the service stores a fingerprint of the request's canonical form: the input fields as
the caller sent them (GraphQL names; omitted and null are the same; ids trimmed as the schema
trims them; ``logDetails`` as its canonical JSON, key order ignored), serialised as JSON with
sorted keys. The fingerprint is a keyed HMAC under the subgraph's blind-index key, not a plain
hash: the details and response id are sealed, and a plain hash of a request whose other fields
are in the clear could be brute-forced back to a short response id.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any

from crypto import EncryptionSession

__all__ = ["canonical_request", "fingerprint", "matches_fingerprint"]

# Separates these digests from any other use of the blind-index key (content digests, blind
# indexes of other columns).
_DOMAIN = "compliance/createComplianceLog/v1\n"


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def canonical_request(fields: Mapping[str, Any]) -> str:
    """Return the canonical JSON text of a request's input fields (``None`` ones dropped)."""
    body = {name: _plain(value) for name, value in fields.items() if value is not None}
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def fingerprint(encryption: EncryptionSession, canonical: str) -> str:
    """Return the keyed fingerprint of a canonical request, under the active index key."""
    return encryption.blind_index_reference(_DOMAIN + canonical)


def matches_fingerprint(encryption: EncryptionSession, canonical: str, stored: str) -> bool:
    """Tell whether ``stored`` is the fingerprint of ``canonical`` under any known index key."""
    return stored in encryption.blind_index_reference_candidates(_DOMAIN + canonical)

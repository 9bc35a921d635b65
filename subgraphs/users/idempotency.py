"""Idempotency of createUser: its fingerprints (the mechanism is in ``subgraphs.kit``).

The canonical form is the input fields as the caller sent them (GraphQL names; omitted and null
are the same; the income's amount with the digits the caller wrote; sources of wealth in the
order sent; dates in ISO 8601); see :mod:`subgraphs.kit.idempotency` for why the fingerprint is
keyed (decisions 0007, 0014 and 0027).
"""

from __future__ import annotations

from subgraphs.kit.idempotency import RequestFingerprints, canonical_request

__all__ = ["canonical_request", "fingerprint", "matches_fingerprint"]

_FINGERPRINTS = RequestFingerprints("users/createUser/v1")
fingerprint = _FINGERPRINTS.of
matches_fingerprint = _FINGERPRINTS.matches

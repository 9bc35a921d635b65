"""Idempotency of createTransaction: its fingerprints (the mechanism is in ``subgraphs.kit``).

The canonical form is the input fields as the caller sent them (omitted and null are the same;
decimals keep the digits the caller wrote; dates are ISO 8601); see :mod:`subgraphs.kit.idempotency`
for why the fingerprint is keyed.
"""

from __future__ import annotations

from subgraphs.kit.idempotency import RequestFingerprints, canonical_request

__all__ = ["canonical_request", "fingerprint", "matches_fingerprint"]

_FINGERPRINTS = RequestFingerprints("transactions/createTransaction/v1")
fingerprint = _FINGERPRINTS.of
matches_fingerprint = _FINGERPRINTS.matches

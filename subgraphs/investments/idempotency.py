"""Idempotency of createInvestmentAccount: its fingerprints (the mechanism is in ``subgraphs.kit``).

The canonical form is the input fields as the caller sent them (GraphQL names; omitted and null
are the same; enums by value); see :mod:`subgraphs.kit.idempotency` for why the fingerprint is
keyed (decisions 0007, 0014 and 0027): the client reference is sealed at rest, and a plain hash
of a request whose other fields are in the clear would give it away.
"""

from __future__ import annotations

from subgraphs.kit.idempotency import RequestFingerprints, canonical_request

__all__ = ["canonical_request", "fingerprint", "matches_fingerprint"]

_FINGERPRINTS = RequestFingerprints("investments/createInvestmentAccount/v1")
fingerprint = _FINGERPRINTS.of
matches_fingerprint = _FINGERPRINTS.matches

"""Idempotency of createComplianceLog: its fingerprints (the mechanism is in ``subgraphs.kit``).

The canonical form is the input fields as the caller sent them (GraphQL names; omitted and null
are the same; ids trimmed as the schema trims them; ``logDetails`` as its canonical JSON, key
order ignored); see :mod:`subgraphs.kit.idempotency` for why the fingerprint is keyed (decisions
0007 and 0014).
"""

from __future__ import annotations

from subgraphs.kit.idempotency import RequestFingerprints, canonical_request

__all__ = ["canonical_request", "fingerprint", "matches_fingerprint"]

_FINGERPRINTS = RequestFingerprints("compliance/createComplianceLog/v1")
fingerprint = _FINGERPRINTS.of
matches_fingerprint = _FINGERPRINTS.matches

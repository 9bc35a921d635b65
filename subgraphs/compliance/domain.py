"""The compliance vocabulary: event types, outcomes, the derived KYC status, and their rules."""

from __future__ import annotations

import enum

__all__ = [
    "KYC_EVENT_TYPES",
    "KYC_REQUIRED_OUTCOME",
    "ComplianceEventType",
    "ComplianceOutcome",
    "KycStatus",
    "kyc_status_of",
]


class ComplianceEventType(enum.Enum):
    KYC_CHECK_REQUESTED = "KYC_CHECK_REQUESTED"
    KYC_CHECK_PASSED = "KYC_CHECK_PASSED"
    KYC_CHECK_FAILED = "KYC_CHECK_FAILED"
    KYC_CHECK_REFERRED = "KYC_CHECK_REFERRED"
    AML_SCREENING = "AML_SCREENING"
    PEP_SCREENING = "PEP_SCREENING"
    SANCTIONS_SCREENING = "SANCTIONS_SCREENING"
    SUITABILITY_ASSESSED = "SUITABILITY_ASSESSED"
    ACCOUNT_SUSPENDED = "ACCOUNT_SUSPENDED"
    DATA_ACCESS = "DATA_ACCESS"


class ComplianceOutcome(enum.Enum):
    PENDING = "PENDING"
    CLEAR = "CLEAR"
    CONSIDER = "CONSIDER"
    FAIL = "FAIL"


class KycStatus(enum.Enum):
    """A user's KYC standing, derived from their latest KYC event (never stored)."""

    NOT_STARTED = "NOT_STARTED"
    PENDING = "PENDING"
    PASSED = "PASSED"
    FAILED = "FAILED"
    REFERRED = "REFERRED"


# What each KYC event says about the user, and the only outcome that event may carry: a
# "KYC passed" record whose outcome is FAIL would make the derived status a matter of opinion.
_KYC: dict[ComplianceEventType, tuple[KycStatus, ComplianceOutcome]] = {
    ComplianceEventType.KYC_CHECK_REQUESTED: (KycStatus.PENDING, ComplianceOutcome.PENDING),
    ComplianceEventType.KYC_CHECK_PASSED: (KycStatus.PASSED, ComplianceOutcome.CLEAR),
    ComplianceEventType.KYC_CHECK_FAILED: (KycStatus.FAILED, ComplianceOutcome.FAIL),
    ComplianceEventType.KYC_CHECK_REFERRED: (KycStatus.REFERRED, ComplianceOutcome.CONSIDER),
}
KYC_EVENT_TYPES: frozenset[ComplianceEventType] = frozenset(_KYC)
KYC_REQUIRED_OUTCOME: dict[ComplianceEventType, ComplianceOutcome] = {
    event: outcome for event, (_status, outcome) in _KYC.items()
}


def kyc_status_of(latest_kyc_event: ComplianceEventType | None) -> KycStatus:
    """Return the KYC status a user's latest KYC event implies (none yet: ``NOT_STARTED``)."""
    if latest_kyc_event is None:
        return KycStatus.NOT_STARTED
    return _KYC[latest_kyc_event][0]

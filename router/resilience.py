"""How the router treats each subgraph when it is slow, down or flapping (ADR 0023).

Per subgraph: a :class:`SubgraphPolicy` (timeouts, retry, concurrency, breaker thresholds, from
``RouterSettings``), a :class:`CircuitBreaker` and a concurrency bound. ``SubgraphClient`` applies
them around every fetch; nothing here does I/O, so the rules are tested without a network.

The breaker is the classic three-state one: ``closed`` counts consecutive failed fetches and opens
after ``failure_threshold`` of them; ``open`` refuses every fetch at once (a dead subgraph costs
microseconds, not a connect timeout) until ``open_seconds`` have passed; then ``half_open`` lets
``half_open_probes`` fetches through: a success closes it, a failure opens it again. Only
transport failures count (could not connect, timed out, an HTTP answer that is not GraphQL): a
GraphQL response with errors is the subgraph working. State changes go to listeners (metrics, the
log) and :meth:`CircuitBreaker.snapshot` reads the state and counters for a scrape.
"""

from __future__ import annotations

import enum
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "BreakerSnapshot",
    "BreakerState",
    "CircuitBreaker",
    "StateListener",
    "SubgraphPolicy",
    "retry_delay",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SubgraphPolicy:
    """Timeouts, retry, concurrency and breaker thresholds for one subgraph (seconds)."""

    connect_timeout: float = 2.0
    read_timeout: float = 10.0
    # Bounds one fetch as a whole: waiting for a concurrency slot, every attempt and the pauses
    # between them. A client request that runs several fetches one after another takes longer.
    fetch_timeout: float = 15.0
    # Further attempts of a query after a failure that reached no resolver (could not connect,
    # connection lost unanswered, HTTP 502/503/504); mutations are never sent twice.
    retry_attempts: int = 2
    retry_base_delay: float = 0.05
    retry_max_delay: float = 0.5
    # Fetches in flight to this subgraph at once; more wait (within fetch_timeout) for a slot.
    max_concurrency: int = 100
    breaker_failure_threshold: int = 5
    breaker_open_seconds: float = 5.0
    breaker_half_open_probes: int = 1

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "fetch_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be greater than 0")
        if self.retry_attempts < 0 or self.retry_base_delay < 0 or self.retry_max_delay < 0:
            raise ValueError("retry settings must not be negative")
        if self.max_concurrency < 1 or self.breaker_half_open_probes < 1:
            raise ValueError("max_concurrency and breaker_half_open_probes must be at least 1")
        if self.breaker_failure_threshold < 1 or self.breaker_open_seconds <= 0:
            raise ValueError("the breaker needs a threshold >= 1 and an open time > 0")


def retry_delay(policy: SubgraphPolicy, attempt: int, rng: random.Random | None = None) -> float:
    """Return the pause before retry number ``attempt`` (1-based): exponential, full jitter.

    Full jitter (a uniform draw below the exponential cap) spreads the retries of many requests
    that failed together, so a subgraph coming back is not hit by all of them at the same instant.
    """
    cap = min(policy.retry_max_delay, policy.retry_base_delay * (2 ** (attempt - 1)))
    return (rng or random).uniform(0.0, cap)


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """One breaker's state and counters, for metrics and /readyz."""

    subgraph: str
    state: BreakerState
    consecutive_failures: int
    opened_total: int  # times it went from closed or half-open to open
    rejected_total: int  # fetches refused without a network call because it was open
    failures_total: int
    successes_total: int


StateListener = Callable[[str, BreakerState, BreakerState], None]
"""Called as ``listener(subgraph, old_state, new_state)`` on every state change."""


class CircuitBreaker:
    """The breaker of one subgraph. Not thread-safe: one event loop owns it."""

    def __init__(
        self,
        subgraph: str,
        policy: SubgraphPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        listeners: list[StateListener] | None = None,
    ) -> None:
        self.subgraph = subgraph
        self._threshold = policy.breaker_failure_threshold
        self._open_seconds = policy.breaker_open_seconds
        self._probes = policy.breaker_half_open_probes
        self._clock = clock
        self._listeners = listeners if listeners is not None else []
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probes_in_flight = 0
        self._opened_total = 0
        self._rejected_total = 0
        self._failures_total = 0
        self._successes_total = 0

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose time is up reads as half-open."""
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self._open_seconds
        ):
            self._move(BreakerState.HALF_OPEN)
        return self._state

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when not open)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._open_seconds - (self._clock() - self._opened_at))

    def acquire(self) -> bool:
        """Return whether a fetch may go out now; every True must be followed by one record."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and self._probes_in_flight < self._probes:
            self._probes_in_flight += 1
            return True
        self._rejected_total += 1
        return False

    def record_success(self) -> None:
        self._successes_total += 1
        self._failures = 0
        if self._state is BreakerState.HALF_OPEN:
            self._probes_in_flight = max(0, self._probes_in_flight - 1)
            self._move(BreakerState.CLOSED)

    def record_failure(self) -> None:
        self._failures_total += 1
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN:
            self._probes_in_flight = max(0, self._probes_in_flight - 1)
            self._open()
        elif self._state is BreakerState.CLOSED and self._failures >= self._threshold:
            self._open()

    def release(self) -> None:
        """Free the probe slot of a fetch let through that ended without an outcome."""
        if self._state is BreakerState.HALF_OPEN:
            self._probes_in_flight = max(0, self._probes_in_flight - 1)

    def snapshot(self) -> BreakerSnapshot:
        return BreakerSnapshot(
            subgraph=self.subgraph,
            state=self.state,
            consecutive_failures=self._failures,
            opened_total=self._opened_total,
            rejected_total=self._rejected_total,
            failures_total=self._failures_total,
            successes_total=self._successes_total,
        )

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._opened_total += 1
        self._move(BreakerState.OPEN)

    def _move(self, new: BreakerState) -> None:
        old, self._state = self._state, new
        if new is not BreakerState.HALF_OPEN:
            self._probes_in_flight = 0
        if old is new:
            return
        log = logger.warning if new is BreakerState.OPEN else logger.info
        log(
            "circuit breaker of subgraph %s: %s -> %s (%d consecutive failures)",
            self.subgraph,
            old.value,
            new.value,
            self._failures,
        )
        for listener in list(self._listeners):
            try:
                listener(self.subgraph, old, new)
            except Exception:  # a broken metrics hook must not break a fetch
                logger.exception("circuit breaker state listener failed")

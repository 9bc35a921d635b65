"""Service-generated entity ids: a type prefix and a time-ordered UUIDv7-style body.

Ids are made before the row is inserted so that encryption can bind each sealed value to its
row id. The body is the 32 lower-case hex digits of a UUIDv7 (48-bit millisecond timestamp,
then randomness), so ids sort by creation time as plain strings, which cursor pagination uses.
Within one millisecond a process-wide counter in the 12 ``rand_a`` bits keeps them increasing.
"""

from __future__ import annotations

import re
import secrets
import threading
import time

__all__ = ["is_id", "new_id"]

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_PREFIX = re.compile(r"^[a-z]{2,8}\Z")


def _next_timestamp_and_counter() -> tuple[int, int]:
    global _last_ms, _counter
    with _lock:
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms, _counter = now, secrets.randbits(11)  # leave headroom before overflow
        else:
            _counter += 1
            if _counter > 0xFFF:  # 4096 ids in one millisecond: borrow the next millisecond
                _last_ms, _counter = _last_ms + 1, 0
        return _last_ms, _counter


def new_id(prefix: str) -> str:
    """Return a new id such as ``usr_0192f3c1a4b87c3e9a1b2c3d4e5f6a7b``."""
    if not _PREFIX.match(prefix):
        raise ValueError("id prefix must be 2-8 lower-case letters")
    millis, counter = _next_timestamp_and_counter()
    value = (millis & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version 7
    value |= counter << 64
    value |= 0b10 << 62  # RFC 4122 variant
    value |= secrets.randbits(62)
    return f"{prefix}_{value:032x}"


def is_id(prefix: str, value: str) -> bool:
    """Tell whether ``value`` is shaped like an id made by :func:`new_id` with ``prefix``."""
    return re.fullmatch(rf"{re.escape(prefix)}_[0-9a-f]{{12}}7[0-9a-f]{{19}}", value) is not None

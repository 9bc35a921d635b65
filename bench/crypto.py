"""Microseconds per seal, per open and per blind index for short values.

Run: ``python bench/crypto.py`` (or ``make bench``).  Target: under 10 us per field.
Each figure is this process's CPU time (not wall time) per call, best of several runs: on a
machine shared with other jobs, time spent waiting for a core is not the code's cost.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path

# This file is itself named crypto.py and Python puts bench/ first on sys.path: put the project
# root before it so that "crypto" is the package, and the benchmark runs without an install.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crypto import (
    Binding,
    BlindIndex,
    BlindIndexKeyring,
    EncryptionServices,
    FieldCipher,
    Keyring,
    Sealable,
)

ROW_ID = "usr_01JD4Z6Q0M8N1V2W3X4Y5Z6A7B"
BINDING = Binding("users", "users", "email_address", ROW_ID)
VALUES: dict[str, Sealable] = {
    "str (17 chars)": "alice@example.com",
    "Decimal": Decimal("1500.00"),
    "date": date(1990, 1, 31),
    "enum list (2)": ["EMPLOYMENT_INCOME", "SAVINGS"],
}


def per_call_us(function: Callable[[], object], repeat: int = 7, number: int = 20_000) -> float:
    """Best of ``repeat`` runs of ``number`` calls, in CPU microseconds per call."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(number):
            function()
        best = min(best, time.process_time() - start)
    return best / number * 1e6


def rows() -> list[tuple[str, Callable[[], object]]]:
    keyring = Keyring.generate().with_new_active_key()
    cipher = FieldCipher(keyring)
    index = BlindIndex(BlindIndexKeyring.generate())
    measured: list[tuple[str, Callable[[], object]]] = []
    for label, value in VALUES.items():
        envelope = cipher.seal(value, BINDING)
        measured.append((f"seal {label}", partial(cipher.seal, value, BINDING)))
        measured.append((f"open {label}", partial(cipher.open, envelope, BINDING)))
    measured.append(("blind index email", lambda: index.email(" Alice@Example.com ")))
    measured.append(("blind index reference", lambda: index.reference("ISA-2024-001")))
    # What a resolver pays: a fresh Binding, the access record and the scrub list included.
    session = EncryptionServices("users", keyring, BlindIndexKeyring.generate()).session()
    sealed = session.seal("alice@example.com", table="users", column="email", row_id=ROW_ID)
    measured.append(
        (
            "session.open str (audited)",
            lambda: session.open(sealed, table="users", column="email", row_id=ROW_ID),
        )
    )
    measured.append(
        (
            "session.seal str",
            lambda: session.seal("bob@example.com", table="users", column="email", row_id=ROW_ID),
        )
    )
    return measured


def main() -> None:
    print(f"python {platform.python_version()} {platform.machine()}, {sys.platform}")
    print(f"{'operation':<30}{'us/call':>9}  (CPU time, best of 7 x 20,000 calls)")
    for label, function in rows():
        print(f"{label:<30}{per_call_us(function):>9.2f}")


if __name__ == "__main__":
    main()

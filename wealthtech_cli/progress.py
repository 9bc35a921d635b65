"""A plain-text progress bar for long operator commands (no extra dependency).

On a terminal the bar redraws one line (carriage return); in a log or a pipe it prints one line
per update, so a CI log or ``| tee`` still shows how far a run got.
"""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """``[##########..........]  50% 500/1000 users.email_address``."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.interactive = self.stream.isatty()
        self._drawn = False

    def render(self, done: int, total: int, label: str = "") -> str:
        """Return the bar text for ``done`` of ``total``."""
        fraction = 1.0 if total <= 0 else min(1.0, done / total)
        filled = round(fraction * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        return f"[{bar}] {fraction:4.0%} {done}/{total} {label}".rstrip()

    def update(self, done: int, total: int, label: str = "") -> None:
        """Draw the bar."""
        text = self.render(done, total, label)
        if self.interactive:
            self.stream.write("\r\x1b[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """End the bar's line on a terminal."""
        if self.interactive and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
        self._drawn = False

"""A progress bar on stderr when it is a terminal; silence otherwise."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    def __init__(self, width: int = 28) -> None:
        self.width = width
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.tty:
            return
        frac = done / total if total else 1.0
        filled = int(frac * self.width)
        bar = "█" * filled + "·" * (self.width - filled)
        elapsed = time.monotonic() - self.started
        line = f"\r[{bar}] {done}/{total} {elapsed:5.0f}s  {label}"
        sys.stderr.write(line[:120].ljust(120))
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\r" + " " * 120 + "\r")
            sys.stderr.flush()

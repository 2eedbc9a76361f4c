"""What every counter source shares: specs, readings, and honest "unsupported".

A source opens on a PID, then ``read()`` returns its current values keyed by
counter name.  ``delta`` counters are cumulative (task-clock, page faults…):
the value per window is the difference between two reads.  ``gauge`` counters
are a level at the moment of reading (RSS, threads…).  A counter the machine,
kernel or permissions cannot provide is never reported as zero: it is listed
by ``unsupported()`` with the reason and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Kind = Literal["delta", "gauge"]


class TargetGoneError(RuntimeError):
    """The process being counted no longer exists."""


@dataclass(frozen=True)
class CounterSpec:
    name: str  # e.g. "perf.task-clock", "proc.rss"
    unit: str  # "ns", "count", "bytes", "%", ...
    kind: Kind
    description: str


@dataclass(frozen=True)
class Unsupported:
    name: str
    reason: str  # why: "not supported by this CPU/VM (ENOENT)", "perf_event_paranoid=3 …"
    fix: str  # what to do, or "" when nothing can be done


class CounterSource(Protocol):
    """One family of counters for one process."""

    source: str  # "perf", "proc", "gpu"

    def specs(self) -> list[CounterSpec]:
        """The counters this source can read (supported ones only)."""
        ...

    def unsupported(self) -> list[Unsupported]:
        """Counters it cannot read here, each with reason and fix."""
        ...

    def read(self) -> dict[str, float]:
        """Current values; raises TargetGoneError when the process is gone."""
        ...

    def close(self) -> None: ...

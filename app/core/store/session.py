"""What the store tells about one session without loading its samples."""

from __future__ import annotations

from dataclasses import dataclass

RECORDING = "recording"
INTERRUPTED = "interrupted"
STATUSES = frozenset(
    {RECORDING, "complete", "target exited", INTERRUPTED, "stopped", "failed", "imported"}
)


@dataclass(frozen=True)
class SessionInfo:
    """One row of ``sovprof sessions``.

    ``started``/``ended`` are wall-clock seconds (``ended`` is None while
    recording); ``duration`` spans the recorded windows; ``lost_samples`` is
    expected minus received samples, 0 when the rate was unknown (as
    ``Profile.lost_samples``).
    """

    id: int
    name: str
    target: str
    pid: int | None
    status: str
    started: float | None
    ended: float | None
    samples: int
    windows: int
    lost_samples: int
    duration: float
    rate_hz: float = 0.0
    message: str | None = None
    created: float = 0.0

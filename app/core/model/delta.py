"""Self-contained copies of one window, for handing samples between threads.

The live sampler's thread owns its Profile; a GUI (or a cluster merger) keeps
its own.  A WindowDelta carries one window by value (threads and frames, not
ids), so it can cross threads as a frozen snapshot and be merged into any
Profile in time proportional to the window, not to the profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.model.frames import Frame
from app.core.model.profile import Profile, ThreadInfo, Window


@dataclass(frozen=True)
class WindowDelta:
    window: Window
    samples: tuple[tuple[ThreadInfo, tuple[Frame, ...], int], ...]

    @property
    def total(self) -> int:
        return sum(n for _, _, n in self.samples)


def extract_window(profile: Profile, window: int) -> WindowDelta:
    """Copy window ``window`` of ``profile`` out by value."""
    frames = profile.frames.frames
    out: list[tuple[ThreadInfo, tuple[Frame, ...], int]] = []
    for t, thread in enumerate(profile.threads):
        cell = profile.counts.get((window, t))
        if not cell:
            continue
        for stack, n in cell.items():
            out.append((thread, tuple(frames[f] for f in profile.stacks.frames_of(stack)), n))
    return WindowDelta(profile.windows[window], tuple(out))


def apply_delta(profile: Profile, delta: WindowDelta) -> int:
    """Append ``delta`` to ``profile`` as a new window; returns its index."""
    idx = profile.add_window(delta.window)
    cells: dict[int, dict[int, int]] = {}
    intern_frame = profile.frames.intern
    intern_stack = profile.stacks.intern
    for thread, stack, n in delta.samples:
        t = profile.add_thread(thread.pid, thread.tid, thread.name)
        sid = intern_stack(intern_frame(*f) for f in stack)
        cell = cells.setdefault(t, {})
        cell[sid] = cell.get(sid, 0) + n
    for t, cell in cells.items():
        profile.add_samples(idx, t, cell)
    return idx

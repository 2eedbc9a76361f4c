"""The sandwich view of one function: who calls it, what it calls.

Counts are samples of call paths: a caller's count is the number of samples in
which it called the function directly.  A sample counts once per caller (and
once per callee) even when the function recurses and so appears several times
in one stack; direct recursion shows the function as its own caller and callee.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.model.profile import Profile


@dataclass(frozen=True)
class Sandwich:
    """Callers and callees of one function, busiest first."""

    function_id: int
    callers: list[tuple[int, int]]  # (function id, samples)
    callees: list[tuple[int, int]]
    self_samples: int
    total_samples: int


def _sorted(counts: dict[int, int]) -> list[tuple[int, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def sandwich(profile: Profile, function_id: int) -> Sandwich:
    """Callers, callees, self and total samples of ``function_id`` in ``profile``."""
    frame_fn = profile.frames.frame_function
    callers: dict[int, int] = {}
    callees: dict[int, int] = {}
    self_n = total_n = 0
    for stack, n in profile.stack_counts().items():
        fns = [frame_fn[f] for f in profile.stacks.frames_of(stack)]
        if function_id not in fns:
            continue
        total_n += n
        if fns[-1] == function_id:
            self_n += n
        up: set[int] = set()
        down: set[int] = set()
        for i, fn in enumerate(fns):
            if fn != function_id:
                continue
            if i > 0:
                up.add(fns[i - 1])
            if i + 1 < len(fns):
                down.add(fns[i + 1])
        for fn in up:
            callers[fn] = callers.get(fn, 0) + n
        for fn in down:
            callees[fn] = callees.get(fn, 0) + n
    return Sandwich(function_id, _sorted(callers), _sorted(callees), self_n, total_n)


def callers_callees(
    profile: Profile, function_id: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], int, int]:
    """``(callers, callees, self_samples, total_samples)`` of one function.

    ``callers`` and ``callees`` are ``(function id, samples)`` lists, busiest first.
    """
    s = sandwich(profile, function_id)
    return s.callers, s.callees, s.self_samples, s.total_samples

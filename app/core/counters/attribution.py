"""Per-function counter estimates: each window's counter deltas shared out by samples.

An estimate, and labelled as one: within a window, a function is credited with
the window's delta × (its self samples / the window's samples).  It is exact
only when the counter accrues at the same rate in every sample.
"""

from __future__ import annotations

from app.core.counters.series import CounterSeries
from app.core.model.profile import Profile


def attribute(profile: Profile, series: CounterSeries) -> dict[int, dict[str, float]]:
    """Function id → counter → estimated share of the counter's delta."""
    frame_fn = profile.frames.frame_function
    stack_frame = profile.stacks.frame
    deltas = [n for n, spec in series.specs.items() if spec.kind == "delta"]
    by_window: dict[int, dict[int, int]] = {}
    for (win, _t), cell in profile.counts.items():
        if win not in series.values:
            continue
        per_fn = by_window.setdefault(win, {})
        for stack, n in cell.items():
            fn = frame_fn[stack_frame[stack]]
            per_fn[fn] = per_fn.get(fn, 0) + n
    out: dict[int, dict[str, float]] = {}
    for w, values in series.values.items():
        per_fn = by_window.get(w, {})
        total = sum(per_fn.values())
        if not total:
            continue
        for name in deltas:
            d = values.get(name)
            if d is None:
                continue
            for fn, n in per_fn.items():
                row = out.setdefault(fn, {})
                row[name] = row.get(name, 0.0) + d * n / total
    return out

"""Helpers of the report tests and the report benchmark.

:func:`synthetic_profile` builds profiles with many distinct stacks through the model
API: the stacks form a random prefix tree (new stacks branch off existing ones),
sample counts follow a Zipf-like law, and samples spread over windows of one second
and several threads, as a long recording of a big program would.

:func:`run_report_cli` runs the real ``sovprof report`` command line.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from app.core.model.profile import Profile, Window
from sovprof_testing import ROOT, cli_env

# `sovprof report` through the real entry point; registering the module here too keeps
# this working whether or not app.cli.main lists it yet (setdefault changes nothing then).
_MAIN = (
    "import sys; from app.cli import main, report; "
    "main.COMMANDS.setdefault('report', report); sys.exit(main.main(sys.argv[1:]))"
)


HOSTILE = (
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=window.__pwned=2>",
    "a;b c",
    "</script><!--",
    "line\u2028sep & <b>",
)
"""Names that are markup, script or collapsed-stack separators."""


def hostile_profile() -> Profile:
    """A small profile whose session, thread, function and file names are all hostile."""
    p = Profile(rate_hz=100.0)
    p.meta = {"name": HOSTILE[0], "target": HOSTILE[1], "session_id": 7}
    a = p.add_thread(1, 1, HOSTILE[2])
    b = p.add_thread(1, 2, HOSTILE[3])
    p.add_window(Window(100.0, 101.0, 200))
    p.add_window(Window(101.1, 102.1, 200))
    f = [p.frames.intern(name, HOSTILE[(i + 1) % len(HOSTILE)] + ".py", 3) for i, name in
         enumerate(HOSTILE)]  # fmt: skip
    s1 = p.stacks.intern([f[0], f[1], f[2]])
    s2 = p.stacks.intern([f[0], f[3]])
    s3 = p.stacks.intern([f[4]])
    p.add_samples(0, a, {s1: 50, s2: 30})
    p.add_samples(0, b, {s3: 20, s1: 5})
    p.add_samples(1, a, {s2: 60})
    p.add_samples(1, b, {s3: 40, s2: 1})
    return p


def run_report_cli(
    *args: str, home: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``sovprof report ARGS`` with ``SOVPROF_HOME=home``."""
    return subprocess.run(
        [sys.executable, "-c", _MAIN, "report", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(home),
        cwd=ROOT,
    )


def synthetic_profile(
    samples: int,
    *,
    threads: int = 4,
    rate_hz: float = 100.0,
    stacks: int | None = None,
    functions: int = 3000,
    seed: int = 0,
) -> Profile:
    """A profile of exactly ``samples`` samples over ``stacks`` distinct leaf stacks."""
    rng = np.random.default_rng(seed)
    p = Profile(rate_hz=rate_hz)
    p.meta = {"name": f"synthetic {samples:,}", "target": "synthetic workload"}
    n_stacks = stacks or max(50, min(samples // 5, 150_000))
    frames = []
    for i in range(functions):
        module = f"/srv/app/pkg{i % 37}/module_{i % 311}.py"
        name = f"{['load', 'parse', 'run', 'step', 'emit', 'merge'][i % 6]}_{i}"
        for line in (10 + i % 50, 60 + i % 40):
            frames.append(p.frames.intern(name, module, line))
    roots = [p.stacks.intern_child(-1, frames[i]) for i in range(4)]
    pool = list(roots)
    parent = p.stacks.parent
    picks = rng.integers(0, len(frames), size=n_stacks * 4)
    bases = rng.random(n_stacks)
    cuts = rng.integers(0, 3, size=n_stacks)
    grows = rng.integers(1, 4, size=n_stacks)
    k = 0
    for j in range(n_stacks):
        sid = pool[int(bases[j] * len(pool))]
        for _ in range(int(cuts[j])):
            if parent[sid] != -1:
                sid = parent[sid]
        for _ in range(int(grows[j])):
            sid = p.stacks.intern_child(sid, frames[int(picks[k])])
            k += 1
        pool.append(sid)
    leaves = np.unique(np.asarray(pool[len(roots) :], dtype=np.int64))
    weights = 1.0 / (np.arange(leaves.size) + 10.0) ** 1.1
    rng.shuffle(weights)
    weights /= weights.sum()
    chosen = rng.choice(leaves.size, size=samples, p=weights)
    per_window = int(rate_hz * threads)
    n_windows = max(1, -(-samples // per_window))
    window_of = np.arange(samples) // per_window
    thread_of = rng.integers(0, threads, size=samples)
    for t in range(threads):
        p.add_thread(4242, 4242 + t, "MainThread" if t == 0 else f"worker-{t}")
    t0 = 1_700_000_000.0
    for w in range(n_windows):
        p.add_window(Window(t0 + w * 1.02, t0 + w * 1.02 + 1.0, per_window))
    key = (window_of * threads + thread_of) * leaves.size + chosen
    uniq, counts = np.unique(key, return_counts=True)
    cell = uniq // leaves.size
    stack = leaves[uniq % leaves.size]
    bounds = np.flatnonzero(np.diff(cell)) + 1
    for part_c, part_s, part_n in zip(
        np.split(cell, bounds), np.split(stack, bounds), np.split(counts, bounds), strict=True
    ):
        c = int(part_c[0])
        p.add_samples(
            c // threads, c % threads, dict(zip(part_s.tolist(), part_n.tolist(), strict=True))
        )
    return p

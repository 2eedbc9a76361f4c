"""Soak: one long live session (the real ``sovprof record``) of a busy target at 100 Hz.

Prints, every ``--every`` seconds, the recorder's RSS (its own process, psutil), its
open file descriptors and py-spy children, and what the store holds so far (windows,
samples, lost %).  At the end: RSS after warm-up against RSS at the end and the slope
between them (goal: flat, i.e. bounded memory), and "no lost window": every window
the recorder reported is in the store, numbered 0..n-1 without a hole, and the
windows follow each other in time without a gap as long as a window (where one
could have gone missing).  Shorter gaps (a slow py-spy start on a busy machine) are
listed; their time is already counted in the lost samples.

    python tests/benchmarks/bench_soak.py                # 10 minutes
    python tests/benchmarks/bench_soak.py --minutes 1    # a quick look
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psutil
from _common import ROOT, env, start_target, verdict

MB = 1024 * 1024
# A gap of a whole window (1 s) between two windows could hide a missing window;
# ordinary start-up gaps between back-to-back windows are tens of milliseconds.
HOLE_S = 1.0
LONG_GAP_S = 0.25
# "Flat": the RSS may drift by this much after warm-up (allocator noise, SQLite's
# page cache filling up) and still count as bounded.
FLAT_MB = 8.0


@dataclass
class Reading:
    t: float
    rss: int
    fds: int
    children: int


def store_progress(store: Path) -> tuple[int, int, int]:
    """(windows, samples, expected) of the newest session, read without writing."""
    try:
        with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)) as conn:
            row = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(samples), 0), COALESCE(SUM(expected), 0) "
                "FROM windows WHERE session = (SELECT MAX(id) FROM sessions)"
            ).fetchone()
    except sqlite3.Error:
        return 0, 0, 0
    return int(row[0]), int(row[1]), int(row[2])


def store_windows(store: Path, session: int) -> list[tuple[int, float, float, int, int]]:
    with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)) as conn:
        return [
            (int(i), float(s), float(e), int(n), int(x))
            for i, s, e, n, x in conn.execute(
                'SELECT idx, "start", "end", samples, expected FROM windows '
                "WHERE session = ? ORDER BY idx",
                (session,),
            )
        ]


def read(proc: psutil.Process, t0: float) -> Reading | None:
    try:
        with proc.oneshot():
            return Reading(
                time.monotonic() - t0,
                proc.memory_info().rss,
                proc.num_fds(),
                len(proc.children()),
            )
    except psutil.Error:
        return None


def slope_mb_per_min(points: list[Reading]) -> float:
    """Least-squares slope of RSS against time."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mt = sum(p.t for p in points) / n
    mr = sum(p.rss for p in points) / n
    var = sum((p.t - mt) ** 2 for p in points)
    cov = sum((p.t - mt) * (p.rss - mr) for p in points)
    return (cov / var) * 60 / MB if var else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--target", default="ratio_70_30", help="a program in tests/targets/")
    ap.add_argument("--every", type=float, default=30.0, help="seconds between report lines")
    ap.add_argument("--warmup", type=float, default=60.0, help="seconds of warm-up")
    args = ap.parse_args()
    seconds = args.minutes * 60
    warmup = min(args.warmup, seconds / 4)
    home = Path(tempfile.mkdtemp(prefix="sovprof-soak-"))
    store = home / "sessions.sqlite"
    e = env()
    e["SOVPROF_HOME"] = str(home)

    target = start_target(args.target, str(seconds + 120))
    print(
        f"soak: sovprof record --pid {target.pid} ({args.target}) at {args.rate} Hz "
        f"for {args.minutes:g} min; store {store}"
    )
    rec = subprocess.Popen(
        [sys.executable, "-m", "app", "record", "--pid", str(target.pid),
         "--duration", str(seconds), "--rate", str(args.rate), "--json", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e, cwd=ROOT,
    )  # fmt: skip
    ps = psutil.Process(rec.pid)
    t0 = time.monotonic()
    readings: list[Reading] = []
    next_report = 0.0
    print(f"{'t (s)':>7} {'RSS MB':>8} {'fds':>5} {'py-spy':>6} {'windows':>8} "
          f"{'samples':>9} {'lost %':>7}")  # fmt: skip
    try:
        while rec.poll() is None:
            r = read(ps, t0)
            if r is not None:
                readings.append(r)
                if r.t >= next_report:
                    windows, samples, expected = store_progress(store)
                    lost = 100 * max(0, expected - samples) / expected if expected else 0.0
                    print(
                        f"{r.t:7.0f} {r.rss / MB:8.1f} {r.fds:5d} {r.children:6d} "
                        f"{windows:8d} {samples:9d} {lost:7.2f}",
                        flush=True,
                    )
                    next_report += args.every
            time.sleep(1.0)
        out, err = rec.communicate()
    finally:
        if rec.poll() is None:
            rec.kill()
            rec.wait()
        target.kill()
        target.wait()
    if rec.returncode != 0:
        print(f"sovprof record failed ({rec.returncode}): {err.strip()}")
        return 1
    doc = json.loads(out)
    # The last readings are the recorder summing up after sampling ended: not the soak.
    sampling = [r for r in readings if r.t <= seconds] or readings
    return report(doc, sampling, store, warmup)


def report(doc: dict[str, object], readings: list[Reading], store: Path, warmup: float) -> int:
    session = int(doc["session"])  # type: ignore[call-overload]
    rows = store_windows(store, session)
    idx = [r[0] for r in rows]
    gaps = [b[1] - a[2] for a, b in itertools.pairwise(rows)]
    holes = [g for g in gaps if g >= HOLE_S]
    long_gaps = [g for g in gaps if LONG_GAP_S < g < HOLE_S]
    overlaps = [g for g in gaps if g < -1e-6]
    samples = sum(r[3] for r in rows)
    expected = sum(r[4] for r in rows)
    contiguous = idx == list(range(len(rows)))
    all_there = len(rows) == doc["windows"] and samples == doc["samples"]
    no_lost_window = contiguous and all_there and not holes and not overlaps
    half = len(rows) // 2
    lost_halves = [
        100 * sum(r[4] - r[3] for r in part) / max(1, sum(r[4] for r in part))
        for part in (rows[:half], rows[half:])
    ]

    steady = [r for r in readings if r.t >= warmup]
    start = steady[0] if steady else readings[0]
    end = readings[-1]
    growth = (end.rss - start.rss) / MB
    slope = slope_mb_per_min(steady)
    peak = max(r.rss for r in readings) / MB
    flat = growth <= FLAT_MB
    fds = sorted({r.fds for r in steady}) or [0]
    windows_after = max(1, sum(1 for r in rows if r[1] >= rows[0][1] + start.t))

    print()
    print(f"session {session}: {doc['status']}, {doc['windows']} windows, {doc['samples']} samples")
    store_lost = 100 * (expected - samples) / max(1, expected)
    print(
        f"  samples lost: {doc['lost_pct']}% (store: {store_lost:.2f}%; first half "
        f"{lost_halves[0]:.2f}%, second half {lost_halves[1]:.2f}%)"
    )
    print(
        f"  max gap between windows: {max(gaps, default=0.0) * 1000:.0f} ms "
        f"(recorder: {doc['max_gap_ms']} ms); gaps over {LONG_GAP_S * 1000:.0f} ms: "
        f"{len(long_gaps)} ({', '.join(f'{g * 1000:.0f}' for g in long_gaps[:8])} ms), "
        "counted as lost samples"
    )
    print(f"  py-spy CPU: {doc['pyspy_cpu_pct']}% of a core")
    print(
        f"  RSS after warm-up ({start.t:.0f} s): {start.rss / MB:.1f} MB; at the end "
        f"({end.t:.0f} s): {end.rss / MB:.1f} MB; growth {growth:+.1f} MB "
        f"(~{growth * 1024 / windows_after:.1f} KB per window), slope {slope:+.2f} MB/min, "
        f"peak {peak:.1f} MB"
    )
    print(f"  open fds after warm-up: {fds[0]}..{fds[-1]}")
    print(f"bounded memory (growth <= {FLAT_MB:g} MB after warm-up): {verdict(flat)}")
    print(
        f"no lost window (indices 0..{len(rows) - 1} contiguous: {contiguous}, store = "
        f"recorder: {all_there}, gaps >= {HOLE_S:g} s: {len(holes)}, overlaps: "
        f"{len(overlaps)}): {verdict(no_lost_window)}"
    )
    return 0 if flat and no_lost_window else 1


if __name__ == "__main__":
    sys.exit(main())

"""Ingest throughput of speedscope files: json.load vs orjson vs our import.

Generates a py-spy-like speedscope file (several threads, a few thousand
distinct stacks of depth 5-40 over ~300 frames, equal weights of 1/rate, py-spy's
``"col": null``), then times, best of ``--repeat`` runs each:

  (a) ``json.load`` of the file alone (a baseline: no Profile is built),
  (b) ``orjson.loads`` of the file alone,
  (c) ``import_file`` into a Profile (sniff + add_speedscope's fast path),

and, for information, exporting that Profile and importing our own export
(one window, and split into ten windows).  Goal: (c) >= 1M samples/s.

Run:  .venv/bin/python tests/benchmarks/bench_ingest.py [--samples 1000000]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.formats import RENDERERS, import_bytes, import_file
from app.core.model.profile import Profile, Window

GOAL_SAMPLES_PER_S = 1_000_000
RATE_HZ = 100


def make_pyspy_file(n_samples: int, seed: int = 1) -> bytes:
    """A speedscope document shaped like py-spy's (threads, stacks, frames, weights)."""
    rng = random.Random(seed)
    n_frames, n_stacks, n_threads = 300, 3000, 6
    frames = [
        {
            "name": f"func_{i}",
            "file": f"/srv/app/pkg{i % 17}/module_{i % 41}.py",
            "line": rng.randint(1, 900),
            "col": None,
        }
        for i in range(n_frames)
    ]
    # Stacks share prefixes the way real ones do: extend a random earlier stack.
    stacks: list[list[int]] = [[rng.randrange(n_frames) for _ in range(5)]]
    while len(stacks) < n_stacks:
        base = rng.choice(stacks)
        depth = rng.randint(5, 40)
        keep = min(len(base), rng.randint(3, depth))
        stacks.append(base[:keep] + [rng.randrange(n_frames) for _ in range(depth - keep)])
    weights = [1.0 / (1 + i) ** 0.8 for i in range(n_stacks)]  # a few hot stacks
    profiles: list[dict[str, Any]] = []
    per_thread = n_samples // n_threads
    for t in range(n_threads):
        count = per_thread if t < n_threads - 1 else n_samples - per_thread * (n_threads - 1)
        samples = rng.choices(stacks, weights=weights, k=count)
        profiles.append(
            {
                "type": "sampled",
                "name": f'Thread {4000 + t} "worker-{t}"',
                "unit": "seconds",
                "startValue": 0.0,
                "endValue": count / RATE_HZ,
                "samples": samples,
                "weights": [1.0 / RATE_HZ] * count,
            }
        )
    doc = {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "profiles": profiles,
        "shared": {"frames": frames},
        "activeProfileIndex": None,
        "exporter": "py-spy@0.4.3",
        "name": "py-spy profile",
    }
    return orjson.dumps(doc) + b"\n"


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def split_windows(profile: Profile, n: int) -> Profile:
    """The same samples spread over ``n`` windows (for the multi-window import row)."""
    out = Profile(profile.frames, profile.stacks, rate_hz=profile.rate_hz)
    for info in profile.threads:
        out.add_thread(info.pid, info.tid, info.name)
    for w in range(n):
        out.add_window(Window(1000.0 + w, 1001.0 + w, RATE_HZ, 0))
    for (_, t), cell in profile.counts.items():
        for i, (sid, c) in enumerate(sorted(cell.items())):
            out.add_samples(i % n, t, {sid: c})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    data = make_pyspy_file(args.samples)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pyspy.speedscope.json"
        path.write_bytes(data)
        n = args.samples

        def json_load() -> Any:
            with open(path, encoding="utf-8") as fh:
                return json.load(fh)

        rows: list[tuple[str, float]] = []
        t_json, _ = best_of(args.repeat, json_load)
        rows.append(("(a) json.load (file only, no Profile)", t_json))
        t_orjson, _ = best_of(args.repeat, lambda: orjson.loads(path.read_bytes()))
        rows.append(("(b) orjson.loads (file only, no Profile)", t_orjson))
        t_ours, profile = best_of(args.repeat, lambda: import_file(path))
        rows.append(("(c) import_file -> Profile", t_ours))
        assert profile.total_samples == n, (profile.total_samples, n)

        t_render, own = best_of(args.repeat, lambda: RENDERERS["speedscope"].render(profile))
        rows.append(("(d) export speedscope (render)", t_render))
        t_own, back = best_of(args.repeat, lambda: import_bytes(own, "own.json"))
        rows.append(("(e) import own export, 1 window", t_own))
        assert back.total_samples == n
        multi = RENDERERS["speedscope"].render(split_windows(profile, 10))
        t_multi, back10 = best_of(args.repeat, lambda: import_bytes(multi, "own10.json"))
        rows.append(("(f) import own export, 10 windows", t_multi))
        assert back10.total_samples == n and len(back10.windows) == 10

    print(
        f"file: {len(data) / 1e6:.1f} MB, {n} samples, {len(profile.threads)} threads, "
        f"{len(profile.stacks)} interned stack nodes, {len(profile.frames)} frames"
    )
    print(f"{'step':<44} {'time':>9} {'samples/s':>14} {'vs json.load':>13}")
    for label, t in rows:
        print(f"{label:<44} {t * 1e3:>7.0f}ms {n / t:>14,.0f} {t_json / t:>12.1f}x")
    rate = n / t_ours
    verdict = "PASS" if rate >= GOAL_SAMPLES_PER_S else "MISS"
    print(
        f"ingest (c): {rate / 1e6:.2f}M samples/s; {t_json / t_ours:.1f}x json.load, "
        f"{t_orjson / t_ours:.2f}x orjson.loads; "
        f"goal >= {GOAL_SAMPLES_PER_S / 1e6:.0f}M/s: {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Helpers shared by the benchmark scripts (not collected by pytest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ROOT / "tests" / "targets"
PYSPY = str(Path(sys.executable).parent / "py-spy")


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e.setdefault("SOVPROF_HOME", tempfile.mkdtemp(prefix="sovprof-bench-"))
    return e


def start_target(name: str, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(TARGETS / f"{name}.py"), *args], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def pyspy_continuous(pid: int, seconds: int, rate: int = 100) -> tuple[int, float]:
    """Samples kept by one continuous py-spy record, and py-spy's CPU seconds."""
    out = tempfile.mktemp(suffix=".json")
    proc = subprocess.Popen(
        [PYSPY, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", str(rate),
         "--format", "speedscope", "--full-filenames", "-o", out],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _, _, ru = os.wait4(proc.pid, 0)
    proc.returncode = 0
    with open(out, "rb") as fh:
        doc = json.load(fh)
    os.unlink(out)
    return sum(len(p["samples"]) for p in doc["profiles"]), ru.ru_utime + ru.ru_stime


def sovprof_record(pid: int, seconds: int, rate: int = 100) -> tuple[dict[str, object], float]:
    """``sovprof record --json`` and sovprof's own CPU as a fraction of one core.

    Measured from 1.5 s after start (imports and attach done) to the last
    reading before exit, on sovprof's process only, not its py-spy children.
    """

    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "record", "--pid", str(pid), "--duration", str(seconds),
         "--rate", str(rate), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(), cwd=ROOT,
    )  # fmt: skip
    own = own_cpu_while_running(proc, after_s=1.5)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"sovprof record failed: {err.strip()}")
    return json.loads(out), own


def own_cpu_while_running(
    proc: subprocess.Popen[str], after_s: float, before_end_s: float = 0.0
) -> float:
    """CPU of ``proc``'s own process (not its children) as a fraction of one core,
    from ``after_s`` after it started (imports, attach) until it exits, less the
    last ``before_end_s`` seconds."""
    import psutil

    ps = psutil.Process(proc.pid)
    readings: list[tuple[float, float]] = []
    t0 = time.monotonic()
    while proc.poll() is None:
        try:
            t = ps.cpu_times()
            readings.append((time.monotonic() - t0, t.user + t.system))
        except psutil.Error:
            break
        time.sleep(0.05)
    end = readings[-1][0] - before_end_s if readings else 0.0
    steady = [r for r in readings if after_s <= r[0] <= end]
    if len(steady) < 2:
        raise SystemExit("the process ended before its CPU could be measured")
    return (steady[-1][1] - steady[0][1]) / max(1e-9, steady[-1][0] - steady[0][0])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"

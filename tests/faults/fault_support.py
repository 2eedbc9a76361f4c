"""What the fault tests share: starting real processes, reading the store behind
sovprof's back, and the checks every fault ends with (a plain module, importable by
name, unlike conftest.py)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sovprof_testing import ROOT, TARGETS, cli_env

STORE_NAME = "sessions.sqlite"


@dataclass(frozen=True)
class Committed:
    """What the store held for one session at some moment: window rows and sample rows."""

    windows: tuple[tuple[int, float, float, int, int], ...]
    samples: tuple[tuple[int, int, int, int], ...]

    @property
    def total(self) -> int:
        return sum(w[3] for w in self.windows)


def read_committed(store: Path, session: int | None = None, immutable: bool = False) -> Committed:
    """The committed windows and samples of ``session`` (default: the newest), read
    with a read-only connection of our own, not through sovprof.  ``immutable`` for a
    file on a read-only file system, where SQLite cannot make its shared-memory file."""
    uri = f"file:{store}?mode=ro" + ("&immutable=1" if immutable else "")
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
        if session is None:
            session = conn.execute("SELECT MAX(id) FROM sessions").fetchone()[0]
        windows = conn.execute(
            'SELECT idx, "start", "end", samples, expected FROM windows '
            "WHERE session = ? ORDER BY idx",
            (session,),
        ).fetchall()
        samples = conn.execute(
            'SELECT "window", thread, stack, count FROM samples WHERE session = ? '
            'ORDER BY "window", thread, stack',
            (session,),
        ).fetchall()
    return Committed(tuple(windows), tuple(samples))


def committed_windows(store: Path) -> int:
    """Windows of the newest session, or 0 while the store or the session is not there."""
    if not store.exists():
        return 0
    try:
        return len(read_committed(store).windows)
    except sqlite3.Error:
        return 0


def wait_for_windows(store: Path, n: int, proc: subprocess.Popen[Any], timeout: float) -> None:
    """Wait until the newest session in ``store`` has ``n`` committed windows."""
    give_up = time.monotonic() + timeout
    while committed_windows(store) < n:
        assert proc.poll() is None, f"the recorder ended early ({proc.returncode})"
        assert time.monotonic() < give_up, f"fewer than {n} windows after {timeout} s"
        time.sleep(0.1)


def assert_kept(before: Committed, after: Committed) -> None:
    """Every window and sample row of ``before`` is in ``after``, unchanged."""
    assert before.windows, "nothing was committed before the fault"
    assert after.windows[: len(before.windows)] == before.windows
    kept = set(after.samples)
    assert all(row in kept for row in before.samples)


def assert_contiguous(c: Committed) -> None:
    """Windows numbered 0..n-1, in time order, never overlapping."""
    assert [w[0] for w in c.windows] == list(range(len(c.windows)))
    for a, b in zip(c.windows, c.windows[1:], strict=False):
        assert a[1] < a[2] <= b[1] + 1e-6, (a, b)


def one_line_error(res: subprocess.CompletedProcess[str], *needles: str, code: int = 1) -> str:
    """The run failed with exit ``code`` and one ``sovprof: error:`` line naming ``needles``."""
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    assert "internal error" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("sovprof: error: ")]
    assert len(lines) == 1, res.stderr
    for n in needles:
        assert n.lower() in lines[0].lower(), lines[0]
    return lines[0]


def json_doc(res: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in res.stderr, res.stderr
    doc = json.loads(res.stdout)
    assert isinstance(doc, dict)
    return doc


def start_recorder(home: Path, *args: str, **popen: Any) -> subprocess.Popen[str]:
    """``sovprof record ARGS`` as a real process, writing into ``home``'s store."""
    kwargs: dict[str, Any] = {
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
        "text": True,
        "env": cli_env(home),
        "cwd": ROOT,
    }
    kwargs.update(popen)
    return subprocess.Popen([sys.executable, "-m", "app", "record", *args], **kwargs)


def start_program(name: str, *args: str) -> subprocess.Popen[str]:
    """``tests/targets/NAME.py ARGS``, once it printed "ready" (the caller kills it)."""
    proc = subprocess.Popen(
        [sys.executable, str(TARGETS / f"{name}.py"), *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", f"target {name} did not start: {line!r}"
    return proc


def stop(proc: subprocess.Popen[Any]) -> None:
    """Kill ``proc`` if it still runs, and reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)


@contextlib.contextmanager
def running(proc: subprocess.Popen[Any]) -> Iterator[subprocess.Popen[Any]]:
    try:
        yield proc
    finally:
        stop(proc)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def mount_tmpfs(where: Path, size: str) -> bool:
    """Mount a tmpfs of ``size`` at ``where`` (root only); False when that is not possible."""
    if not is_root():
        return False
    where.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    return res.returncode == 0


def umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def remount_read_only(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)


def copy_store(src: Path, dest_dir: Path) -> Path:
    """A copy of the store file ``src`` as ``dest_dir / STORE_NAME``."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / STORE_NAME
    shutil.copyfile(src, dest)
    return dest

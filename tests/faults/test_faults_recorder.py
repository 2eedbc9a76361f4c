"""Faults of the recorder itself: `sovprof record` killed, py-spy missing or killed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import psutil
import pytest
from fault_support import (
    STORE_NAME,
    Committed,
    assert_contiguous,
    json_doc,
    one_line_error,
    read_committed,
    running,
    start_program,
    start_recorder,
    wait_for_windows,
)

from sovprof_testing import cli_env, run_cli

pytestmark = pytest.mark.pyspy


@pytest.fixture(scope="module")
def killed_recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Committed]:
    """A store left behind by a `sovprof record` SIGKILLed mid-window (its write-ahead log
    still there), and what it had committed when it was killed."""
    home = tmp_path_factory.mktemp("killed")
    store = home / STORE_NAME
    with running(start_program("ratio_70_30", "60")) as target:
        rec = start_recorder(home, "--pid", str(target.pid), "--quiet")
        with running(rec):
            wait_for_windows(store, 3, rec, timeout=30)
            time.sleep(0.4)  # mid-window
            rec.send_signal(signal.SIGSTOP)  # freeze it: what we read is what it committed
            before = read_committed(store)
            rec.send_signal(signal.SIGKILL)
            rec.wait()
    assert Path(f"{store}-wal").stat().st_size > 0, "no write-ahead log left to recover"
    return home, before


def _copy_home(src: Path, dest: Path) -> Path:
    dest.mkdir()
    for f in src.iterdir():
        if f.name.startswith(STORE_NAME):
            shutil.copyfile(f, dest / f.name)
    return dest


def test_recorder_sigkilled_and_reopened(
    killed_recording: tuple[Path, Committed], tmp_path: Path
) -> None:
    """`sovprof record` SIGKILLed mid-window → the reopened store shows the session as
    "interrupted" with every committed window and sample intact; it exports, and the store
    takes new recordings."""
    home = _copy_home(killed_recording[0], tmp_path / "home")
    before = killed_recording[1]
    (info,) = json_doc(run_cli("sessions", "--json", home=home))["sessions"]
    assert info["status"] == "interrupted"
    assert info["windows"] == len(before.windows) and info["samples"] == before.total
    after = read_committed(home / STORE_NAME, info["id"])
    assert after == before
    assert_contiguous(after)
    out = tmp_path / "out.json"
    res = run_cli("export", str(info["id"]), "-o", str(out), "--json", home=home)
    assert json_doc(res)["samples"] == before.total
    with running(start_program("ratio_70_30", "30")) as target:
        res = run_cli("record", "--pid", str(target.pid), "--duration", "1", "--json", home=home)
    assert json_doc(res)["status"] == "complete"
    assert read_committed(home / STORE_NAME, info["id"]) == before


def test_recorder_killed_while_writing(
    killed_recording: tuple[Path, Committed], tmp_path: Path
) -> None:
    """`sovprof record` killed in the middle of writing a window (a torn, half-written
    transaction at the end of the write-ahead log) → the torn write is ignored and every
    window committed before it is intact."""
    home = _copy_home(killed_recording[0], tmp_path / "home")
    wal = home / f"{STORE_NAME}-wal"
    with wal.open("ab") as fh:  # what a write cut short leaves: a frame that never completed
        fh.write(os.urandom(4096 + 24 + 1000))
    (home / f"{STORE_NAME}-shm").unlink(missing_ok=True)
    (info,) = json_doc(run_cli("sessions", "--json", home=home))["sessions"]
    assert info["status"] == "interrupted"
    assert read_committed(home / STORE_NAME, info["id"]) == killed_recording[1]


def _fake_pyspy(tmp_path: Path, kind: str) -> str:
    if kind == "missing":
        return str(tmp_path / "no-such-py-spy")
    path = tmp_path / "py-spy"
    if kind == "not executable":
        path.write_bytes(b"#!/bin/sh\nexit 0\n")
        path.chmod(0o644)
    elif kind == "not a program":
        path.write_bytes(b"\x7fELF but not really \x00\x01\x02")
        path.chmod(0o755)
    else:  # fails at once, says nothing
        path.write_bytes(b"#!/bin/sh\nexit 3\n")
        path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("missing", "SOVPROF_PYSPY"),
        ("not executable", "SOVPROF_PYSPY"),
        ("not a program", "SOVPROF_PYSPY"),
        ("fails", "py-spy failed"),
    ],
)
def test_pyspy_missing_or_broken(
    kind: str, needle: str, killed_recording: tuple[Path, Committed], tmp_path: Path
) -> None:
    """py-spy missing, not executable, not a program, or failing at once (SOVPROF_PYSPY) →
    a one-line error naming the fix (exit 1), no session left "recording", the sessions
    already in the store untouched."""
    home = _copy_home(killed_recording[0], tmp_path / "home")
    env = cli_env(home, SOVPROF_PYSPY=_fake_pyspy(tmp_path, kind))
    with running(start_program("ratio_70_30", "30")) as target:
        res = run_cli("record", "--pid", str(target.pid), "--duration", "2", env=env)
    one_line_error(res, needle)
    sessions = json_doc(run_cli("sessions", "--json", home=home))["sessions"]
    assert sessions[-1]["id"] == 1 and sessions[-1]["samples"] == killed_recording[1].total
    assert all(s["status"] == "failed" for s in sessions[:-1])  # newest first
    assert read_committed(home / STORE_NAME, 1) == killed_recording[1]


@pytest.mark.slow
def test_pyspy_killed_mid_window(home: Path) -> None:
    """The py-spy of a window SIGKILLed mid-window → that window is dropped, recording goes on
    to the end (exit 0, "complete"), and the time it covered is counted as lost samples."""
    store = home / STORE_NAME
    with running(start_program("ratio_70_30", "60")) as target:
        rec = start_recorder(home, "--pid", str(target.pid), "--duration", "6", "--json")
        with running(rec):
            wait_for_windows(store, 2, rec, timeout=30)
            time.sleep(0.5)
            spies = [p for p in psutil.Process(rec.pid).children() if p.name() == "py-spy"]
            assert spies, "no py-spy window running"
            for p in spies:
                p.kill()
            killed_at = time.time()
            out, err = rec.communicate(timeout=60)
    assert rec.returncode == 0, err
    doc = json.loads(out)
    assert doc["status"] == "complete"
    after = read_committed(store, doc["session"])
    assert_contiguous(after)
    assert len(after.windows) == doc["windows"] and after.total == doc["samples"]
    # the dropped window leaves a hole in the timeline, and its time is lost, not hidden
    gaps = [(a[2], b[1] - a[2]) for a, b in zip(after.windows, after.windows[1:], strict=False)]
    hole_at, hole = max(gaps, key=lambda g: g[1])
    assert hole >= 0.3 and abs(hole_at - killed_at) < 2.0, gaps
    assert doc["lost_samples"] >= 0.5 * hole * 100
    assert any(w[1] > killed_at for w in after.windows), "recording did not go on"


def test_recorder_sigterm_finishes_cleanly(home: Path) -> None:
    """`sovprof record` sent SIGTERM → it stops like Ctrl-C: status "stopped", exit 0, the
    partial window kept and no py-spy left running."""
    store = home / STORE_NAME
    with running(start_program("ratio_70_30", "60")) as target:
        rec = start_recorder(home, "--pid", str(target.pid), "--json")
        with running(rec):
            wait_for_windows(store, 2, rec, timeout=30)
            spies = psutil.Process(rec.pid).children()
            time.sleep(0.5)
            rec.send_signal(signal.SIGTERM)
            out, err = rec.communicate(timeout=30)
    assert rec.returncode == 0, err
    doc = json.loads(out)
    assert doc["status"] == "stopped" and doc["windows"] >= 3
    assert read_committed(store, doc["session"]).total == doc["samples"]
    assert not [p for p in spies if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

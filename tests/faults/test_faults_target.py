"""Faults of the profiled program: killed or stopped while ``sovprof record`` samples it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fault_support import (
    STORE_NAME,
    assert_contiguous,
    assert_kept,
    json_doc,
    one_line_error,
    read_committed,
    running,
    start_program,
    start_recorder,
    wait_for_windows,
)

from sovprof_testing import run_cli

pytestmark = pytest.mark.pyspy


def test_target_sigkilled_mid_window(home: Path) -> None:
    """Target SIGKILLed mid-window → the session ends "target exited" (exit 0), keeping every
    window sampled before the kill, the partial last one included."""
    store = home / STORE_NAME
    with running(start_program("ratio_70_30", "60")) as target:
        rec = start_recorder(home, "--pid", str(target.pid), "--duration", "30", "--json")
        with running(rec):
            wait_for_windows(store, 2, rec, timeout=30)
            time.sleep(0.5)  # halfway through the third window
            killed_at = time.time()
            target.kill()
            out, err = rec.communicate(timeout=30)
    assert rec.returncode == 0, err
    doc = json_doc(subprocess.CompletedProcess([], 0, out, err))
    assert doc["status"] == "target exited"
    after = read_committed(store, doc["session"])
    assert_contiguous(after)
    assert len(after.windows) == doc["windows"] >= 3  # two whole windows and the partial one
    assert after.total == doc["samples"]
    assert after.windows[-1][2] <= killed_at + 0.5
    listed = json_doc(run_cli("sessions", "--json", home=home))["sessions"]
    assert [(s["status"], s["samples"]) for s in listed] == [("target exited", doc["samples"])]


def test_target_sigstopped_while_recording(home: Path) -> None:
    """Target SIGSTOPped while recording → within seconds the session ends "failed" with a
    one-line "PID … is stopped … `kill -CONT PID`" error (exit 1), and the windows sampled
    before the stop are kept; it never hangs."""
    store = home / STORE_NAME
    with running(start_program("ratio_70_30", "60")) as target:
        rec = start_recorder(home, "--pid", str(target.pid), "--json")  # no --duration
        with running(rec):
            wait_for_windows(store, 2, rec, timeout=30)
            before = read_committed(store)
            os.kill(target.pid, signal.SIGSTOP)
            t0 = time.monotonic()
            out, err = rec.communicate(timeout=60)
            took = time.monotonic() - t0
        os.kill(target.pid, signal.SIGCONT)
    one_line_error(
        subprocess.CompletedProcess([], rec.returncode, out, err),
        f"PID {target.pid} is stopped",
        f"kill -CONT {target.pid}",
    )
    assert took < 30
    doc = json_doc(subprocess.CompletedProcess([], 1, out, err))  # the summary still prints
    assert doc["status"] == "failed" and doc["windows"] >= len(before.windows)
    after = read_committed(store, doc["session"])
    assert_kept(before, after)
    (info,) = json_doc(run_cli("sessions", "--json", home=home))["sessions"]
    assert info["status"] == "failed" and "is stopped" in info["message"]


def test_target_already_stopped(home: Path) -> None:
    """Target already SIGSTOPped when `sovprof record --pid` starts → a one-line "is stopped …
    `kill -CONT PID`" error at once (exit 1), the session saved as "failed"."""
    with running(start_program("ratio_70_30", "60")) as target:
        os.kill(target.pid, signal.SIGSTOP)
        try:
            res = run_cli("record", "--pid", str(target.pid), "--duration", "5", home=home)
        finally:
            os.kill(target.pid, signal.SIGCONT)
    one_line_error(res, "is stopped", f"kill -CONT {target.pid}")
    (info,) = json_doc(run_cli("sessions", "--json", home=home))["sessions"]
    assert info["status"] == "failed" and info["windows"] == 0

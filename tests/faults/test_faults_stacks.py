"""Extreme targets: stacks 10,000 frames deep, and a process with 1,000 threads.

py-spy reads at most 4,096 frames of a stack: on a deeper one it cannot even find the
interpreter.  So the 10k-deep stack is recorded as far as py-spy allows (a clear
error), and sovprof's own pipeline (store, export, call tree, flame layout, the app)
is fed a 10k-deep profile through `sovprof import`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fault_support import (
    STORE_NAME,
    json_doc,
    one_line_error,
    read_committed,
    running,
    start_program,
)

from sovprof_testing import cli_env, run_cli

pytestmark = pytest.mark.pyspy

DEEP = 10_000
PYSPY_MAX_FRAMES = 4096


def _deepest(collapsed: str) -> int:
    return max(line.rsplit(" ", 1)[0].count(";") + 1 for line in collapsed.splitlines())


def _check_model(store: Path, session: int, min_depth: int) -> None:
    """The Qt-free models under the app's views survive the profile."""
    from app.core.model.calltree import build_calltree, top_functions
    from app.core.model.flame import layout_flame
    from app.core.store import Store

    with Store(store) as s:
        profile = s.load_profile(session)
    tree = build_calltree(profile)
    tree.check(expected_total=profile.total_samples)
    layout = layout_flame(tree)
    layout.check(tree)
    assert layout.levels >= min_depth
    assert top_functions(profile)


@pytest.mark.slow
def test_stack_deeper_than_pyspy_reads(home: Path) -> None:
    """Target 10,000 frames deep (beyond py-spy's 4,096-frame limit) → `sovprof record` stops
    with one line saying py-spy gives up on stacks deeper than 4,096 frames (exit 1), not
    "not a Python process"; the session is saved as "failed"."""
    with running(start_program("fault_deep", str(DEEP), "120")) as target:
        res = run_cli("record", "--pid", str(target.pid), "--duration", "5", home=home)
    one_line_error(res, "deeper than 4096 frames", f"PID {target.pid}")
    (info,) = json_doc(run_cli("sessions", "--json", home=home))["sessions"]
    assert info["status"] == "failed" and "4096" in info["message"]


@pytest.mark.slow
def test_stack_goes_10k_deep_while_recording(home: Path) -> None:
    """Target that recurses 10,000 deep while being recorded → the session ends "failed" with
    the 4,096-frame explanation (exit 1), the windows sampled before are kept and the time
    py-spy could not sample is counted as lost."""
    store = home / STORE_NAME
    with running(start_program("fault_deep", str(DEEP), "120", "2.5")) as target:
        # At 20 Hz the window in flight when it dives ends soon (each failing sample is
        # slow), so a new window has to attach to the deep stack before the end.
        res = run_cli(
            "record", "--pid", str(target.pid), "--duration", "6", "--rate", "20", "--json",
            home=home,
        )  # fmt: skip
    one_line_error(res, "deeper than 4096 frames")
    doc = json.loads(res.stdout)
    assert doc["status"] == "failed" and doc["windows"] >= 1
    assert doc["lost_pct"] > 30
    after = read_committed(store, doc["session"])
    assert len(after.windows) == doc["windows"] and after.total == doc["samples"] > 0


@pytest.mark.slow
def test_deep_stack_within_pyspy_limit(home: Path, tmp_path: Path) -> None:
    """Target 4,000 frames deep (just inside py-spy's limit) → recorded to the end (exit 0;
    py-spy lags on such stacks, and the lost samples say so), exported with every frame,
    and its call tree and flame layout build."""
    depth = 4000
    with running(start_program("fault_deep", str(depth), "120")) as target:
        res = run_cli("record", "--pid", str(target.pid), "--duration", "3", "--json", home=home)
    doc = json_doc(res)
    assert res.returncode == 0 and doc["status"] == "complete", res.stderr
    assert doc["samples"] > 0 and doc["top"][0]["function"] == "spin"
    out = tmp_path / "deep.txt"
    res = run_cli("export", "last", "--format", "collapsed", "-o", str(out), home=home)
    assert res.returncode == 0, res.stderr
    assert depth <= _deepest(out.read_text()) <= PYSPY_MAX_FRAMES + 1  # + the thread frame
    _check_model(home / STORE_NAME, doc["session"], depth)


def _deep_collapsed(path: Path) -> None:
    spine = ["<module> (deep.py:40)", "main (deep.py:33)"]
    full = ";".join([*spine, *["descend (deep.py:24)"] * (DEEP - 3), "spin (deep.py:17)"])
    half = ";".join([*spine, *["descend (deep.py:24)"] * (DEEP // 2)])
    path.write_text(f"{full} 70\n{half} 30\n")


@pytest.mark.slow
def test_10k_deep_profile_through_store_export_and_app(home: Path, tmp_path: Path) -> None:
    """A profile 10,000 frames deep (imported, as py-spy cannot record one) → stored,
    exported as collapsed and speedscope without losing a frame, its call tree and flame
    layout build, and the app opens it and paints its flame graph (offscreen)."""
    src = tmp_path / "deep.txt"
    _deep_collapsed(src)
    doc = json_doc(run_cli("import", str(src), "--json", home=home))
    assert doc["samples"] == 100
    out = tmp_path / "again.txt"
    assert run_cli("export", "last", "-f", "collapsed", "-o", str(out), home=home).returncode == 0
    # the export starts every stack with its thread; the rest is the input, frame for frame
    got = sorted(line.split(";", 1)[1] for line in out.read_text().splitlines())
    assert got == sorted(src.read_text().splitlines())
    speedscope = tmp_path / "again.json"
    res = run_cli("export", "last", "-f", "speedscope", "-o", str(speedscope), home=home)
    assert res.returncode == 0, res.stderr
    again = json.loads(speedscope.read_text())
    assert max(len(s) for p in again["profiles"] for s in p["samples"]) == DEEP
    _check_model(home / STORE_NAME, doc["session"], DEEP)
    shot = tmp_path / "deep.png"
    env = cli_env(home, QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    res = run_cli(
        "gui", "--session", str(doc["session"]), "--screenshot", str(shot), "--after", "1",
        env=env, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_target_with_1000_threads(home: Path, tmp_path: Path) -> None:
    """Target with 1,000 threads → recorded to the end with every thread named (exit 0; py-spy
    needs seconds to attach to so many, and the lost samples say so), exported, and its call
    tree and flame layout build."""
    with running(start_program("fault_threads", "1000", "120")) as target:
        assert len(os.listdir(f"/proc/{target.pid}/task")) >= 1000
        res = run_cli(
            "record", "--pid", str(target.pid), "--duration", "3", "--idle", "--json",
            home=home, timeout=180,
        )  # fmt: skip
    doc = json_doc(res)
    assert res.returncode == 0 and doc["status"] == "complete", res.stderr
    names = {t["name"] for t in doc["threads"]}
    assert {f"waiter-{i}" for i in range(998)} | {"spinner-0", "spinner-1"} <= names
    assert 0 <= doc["lost_pct"] < 100
    out = tmp_path / "threads.json"
    res = run_cli("export", "last", "-o", str(out), home=home)
    assert res.returncode == 0, res.stderr
    assert len(json.loads(out.read_text())["profiles"]) >= 1000
    _check_model(home / STORE_NAME, doc["session"], 2)

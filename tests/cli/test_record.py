"""``sovprof record`` end to end: the real CLI, the real py-spy, real targets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sovprof_testing import ROOT, TARGETS, SpawnTarget, cli_env, run_cli

pytestmark = pytest.mark.pyspy


def test_version() -> None:
    from app import __version__

    res = run_cli("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"sovprof {__version__}"


def test_record_pid_json_contract(spawn_target: SpawnTarget, sovprof_home: Path) -> None:
    target = spawn_target("ratio_70_30", "30")
    res = run_cli(
        "record", "--pid", str(target.pid), "--duration", "3", "--json", home=sovprof_home
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)  # exactly one JSON document on stdout
    for key in ("session", "samples", "windows", "lost_samples", "duration_s", "top"):
        assert key in doc
    assert doc["status"] == "complete"
    assert doc["windows"] >= 3 and doc["samples"] >= 200
    assert 2.5 <= doc["duration_s"] <= 3.6
    top = doc["top"]
    assert [t["self_samples"] for t in top] == sorted(
        (t["self_samples"] for t in top), reverse=True
    )
    assert top[0]["function"] == "seventy" and top[0]["file"].endswith("ratio_70_30.py")
    assert set(top[0]) == {"function", "file", "line", "self_samples", "total_samples"}
    listed = json.loads(run_cli("sessions", "--json", home=sovprof_home).stdout)["sessions"]
    assert [s["id"] for s in listed] == [doc["session"]]
    assert listed[0]["status"] == "complete" and listed[0]["samples"] == doc["samples"]


def test_record_demo_text_output(sovprof_home: Path) -> None:
    res = run_cli("record", "--demo", "--duration", "3", home=sovprof_home)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "session 1: complete" in out
    assert "self%" in out and "parse_records" in out  # ends with the top-functions table
    assert "recording" in res.stderr  # the live status line


def test_launch_mode_passes_output_and_ends_with_the_program(sovprof_home: Path) -> None:
    script = TARGETS / "ratio_70_30.py"
    res = run_cli("record", "--json", "--", sys.executable, str(script), "2", home=sovprof_home)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["status"] == "target exited"
    assert "ready" in res.stderr  # the program's stdout, moved off our JSON stdout
    assert {t["function"] for t in doc["top"][:2]} == {"seventy", "thirty"}
    text = run_cli("record", "--quiet", "--", sys.executable, str(script), "1", home=sovprof_home)
    assert text.returncode == 0 and text.stdout.startswith("ready\n")


def test_sigkill_of_sovprof_leaves_an_interrupted_session(
    spawn_target: SpawnTarget, sovprof_home: Path
) -> None:
    target = spawn_target("ratio_70_30", "60")
    rec = subprocess.Popen(
        [sys.executable, "-m", "app", "record", "--pid", str(target.pid), "--quiet"],
        env=cli_env(sovprof_home),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(4.0)
    rec.send_signal(signal.SIGKILL)
    rec.wait()
    res = run_cli("sessions", "--json", home=sovprof_home)
    assert res.returncode == 0, res.stderr
    (session,) = json.loads(res.stdout)["sessions"]
    assert session["status"] == "interrupted"
    assert session["windows"] >= 2 and session["samples"] >= 150
    exported = sovprof_home / "out.json"
    res = run_cli("export", str(session["id"]), "-o", str(exported), home=sovprof_home)
    assert res.returncode == 0, res.stderr
    assert exported.stat().st_size > 0


def test_interrupt_keeps_what_was_recorded(spawn_target: SpawnTarget, sovprof_home: Path) -> None:
    target = spawn_target("ratio_70_30", "60")
    rec = subprocess.Popen(
        [sys.executable, "-m", "app", "record", "--pid", str(target.pid), "--json"],
        env=cli_env(sovprof_home),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3.0)
    rec.send_signal(signal.SIGINT)
    out, err = rec.communicate(timeout=30)
    assert rec.returncode == 0, err
    doc = json.loads(out)
    assert doc["status"] == "stopped" and doc["samples"] >= 150


def test_hostile_names_survive_record_store_export_import(
    spawn_target: SpawnTarget, sovprof_home: Path, tmp_path: Path
) -> None:
    sys.path.insert(0, str(TARGETS))
    try:
        import weird_names
    finally:
        sys.path.remove(str(TARGETS))
    target = spawn_target("weird_names", "30", str(tmp_path))
    res = run_cli(
        "record", "--pid", str(target.pid), "--duration", "2", "--json", home=sovprof_home
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    hot = doc["top"][0]
    assert hot["function"] == weird_names.FUNC_NAME
    assert hot["file"] == str(tmp_path / weird_names.FILE_NAME)
    assert weird_names.THREAD_NAME in {t["name"] for t in doc["threads"]}

    exported = tmp_path / "export.speedscope.json"
    res = run_cli(
        "export", "last", "--format", "speedscope", "-o", str(exported), home=sovprof_home
    )
    assert res.returncode == 0, res.stderr
    res = run_cli("import", str(exported), "--json", home=sovprof_home)
    assert res.returncode == 0, res.stderr
    imported = json.loads(res.stdout)
    assert imported["samples"] == doc["samples"]

    from app.core.model.calltree import top_functions
    from app.core.store import Store

    with Store(sovprof_home / "sessions.sqlite") as store:
        original = store.load_profile(doc["session"])
        again = store.load_profile(imported["session"])
    for p in (original, again):
        assert weird_names.THREAD_NAME in {t.name for t in p.threads}
        row = top_functions(p)[0]
        assert (row.function, row.file) == (weird_names.FUNC_NAME, hot["file"])
    assert _multiset(original) == _multiset(again)


def _multiset(profile: object) -> dict[tuple[object, ...], int]:
    from app.core.model.profile import Profile

    assert isinstance(profile, Profile)
    out: dict[tuple[object, ...], int] = {}
    for (_, t), cell in profile.counts.items():
        th = profile.threads[t]
        for stack, n in cell.items():
            frames = tuple(profile.frames.frames[f] for f in profile.stacks.frames_of(stack))
            key = (th.pid, th.tid, th.name, frames)
            out[key] = out.get(key, 0) + n
    return out


def _one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("sovprof: error: ")
    assert "Traceback" not in res.stderr
    for n in needles:
        assert n.lower() in lines[0].lower(), lines[0]


def test_bad_pids(sovprof_home: Path) -> None:
    _one_line_error(run_cli("record", "--pid", "999999", home=sovprof_home), "no process", "ps")
    _one_line_error(run_cli("record", "--pid", "1", home=sovprof_home), "PID 1")
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        res = run_cli("record", "--pid", str(sleeper.pid), home=sovprof_home)
        _one_line_error(res, "not a Python process")
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run sovprof as another user")
def test_process_this_user_may_not_trace(spawn_target: SpawnTarget, tmp_path: Path) -> None:
    target = spawn_target("ratio_70_30", "30")
    home = tmp_path / "nobody-home"
    home.mkdir()
    home.chmod(0o777)
    caps = "+dac_override,+dac_read_search"
    cmd = [
        "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        f"--inh-caps={caps}", f"--ambient-caps={caps}",
        sys.executable, "-m", "app", "record", "--pid", str(target.pid), "--duration", "1",
    ]  # fmt: skip
    res = subprocess.run(
        cmd, capture_output=True, text=True, env=cli_env(home), cwd=ROOT, timeout=60
    )
    if "setpriv" in res.stderr and res.returncode != 1:
        pytest.skip(f"setpriv cannot drop privileges here: {res.stderr.strip()}")
    _one_line_error(res, "cannot trace", "CAP_SYS_PTRACE")


def test_corrupt_and_future_stores(spawn_target: SpawnTarget, tmp_path: Path) -> None:
    import sqlite3

    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(os.urandom(8192))
    _one_line_error(run_cli("sessions", "--store", str(garbage)), str(garbage.name))
    future = tmp_path / "future.sqlite"
    run_cli("sessions", "--store", str(future))
    con = sqlite3.connect(future)
    con.execute("PRAGMA user_version = 999")
    con.commit()
    con.close()
    _one_line_error(run_cli("sessions", "--store", str(future)), "newer")
    target = spawn_target("ratio_70_30", "30")
    res = run_cli("record", "--pid", str(target.pid), "--duration", "1", "--store", str(future))
    _one_line_error(res, "newer")


def test_bad_import_files(tmp_path: Path, sovprof_home: Path) -> None:
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"$schema": "https://www.speedscope.app/file-format-schema.json", "shar')
    _one_line_error(run_cli("import", str(truncated), home=sovprof_home), "truncated.json")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 20)
    _one_line_error(run_cli("import", str(garbage), home=sovprof_home), "garbage.bin")
    _one_line_error(run_cli("import", str(tmp_path / "missing.json"), home=sovprof_home), "no such")
    sessions = json.loads(run_cli("sessions", "--json", home=sovprof_home).stdout)["sessions"]
    assert sessions == []  # nothing half-imported


def test_pyspy_missing(sovprof_home: Path) -> None:
    env = cli_env(sovprof_home, SOVPROF_PYSPY="/nonexistent/py-spy")
    res = subprocess.run(
        [sys.executable, "-m", "app", "record", "--demo", "--duration", "1"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )  # fmt: skip
    _one_line_error(res, "py-spy not found")


def test_usage_errors_are_one_line(sovprof_home: Path) -> None:
    for args in (
        ["record"],
        ["record", "--rate", "0", "--demo"],
        ["nonsense"],
        ["record", "--pid", "x"],
    ):
        res = run_cli(*args, home=sovprof_home)
        assert res.returncode == 2, (args, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("sovprof: error: "), res.stderr


def test_ps_lists_python_processes(spawn_target: SpawnTarget) -> None:
    target = spawn_target("ratio_70_30", "30")
    res = run_cli("ps", "--json")
    assert res.returncode == 0, res.stderr
    procs = {p["pid"]: p for p in json.loads(res.stdout)["processes"]}
    assert target.pid in procs
    mine = procs[target.pid]
    assert mine["python"] and mine["attachable"] and mine["reason"] == ""
    assert "ratio_70_30.py" in mine["cmdline"]
    text = run_cli("ps")
    assert str(target.pid) in text.stdout

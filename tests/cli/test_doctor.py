"""``sovprof doctor``: the real command on this machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sovprof_testing import run_cli


def test_doctor_json_is_one_document_about_this_machine(sovprof_home: Path) -> None:
    res = run_cli("doctor", "--json", home=sovprof_home)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    facts = doc["facts"]
    assert facts["root"] == (os.geteuid() == 0) and facts["uid"] == os.getuid()
    yama = Path("/proc/sys/kernel/yama/ptrace_scope")
    assert facts["yama"] == yama.exists()
    assert facts["perf_event_paranoid"] == int(
        Path("/proc/sys/kernel/perf_event_paranoid").read_text()
    )
    assert facts["pyspy"]["path"] and os.access(facts["pyspy"]["path"], os.X_OK)
    abilities = {a["key"]: a for a in doc["abilities"]}
    assert set(abilities) == {
        "launched",
        "own",
        "other_users",
        "counters",
        "hardware_counters",
        "kernel_events",
    }
    assert all(isinstance(a["works"], bool) and a["why"] for a in abilities.values())
    if facts["root"] and not yama.exists():
        assert abilities["own"]["works"] and abilities["other_users"]["works"]
    keys = [o["key"] for o in doc["options"]]
    assert keys[:3] == ["launch", "setcap_ptrace", "elevate_pyspy"]
    setcap = next(o for o in doc["options"] if o["key"] == "setcap_ptrace")
    assert any(c.startswith("sudo setcap cap_sys_ptrace+ep ") for c in setcap["commands"])
    assert "target" not in doc


def test_doctor_text_and_a_target_pid(sovprof_home: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        res = run_cli("doctor", "--pid", str(child.pid), home=sovprof_home)
        assert res.returncode == 0, res.stderr
        assert "What works now:" in res.stdout and "Options, least privilege first" in res.stdout
        assert f"Attach to PID {child.pid}" in res.stdout
        if not Path("/proc/sys/kernel/yama/ptrace_scope").exists():
            assert "no Yama LSM" in res.stdout
        doc = json.loads(run_cli("doctor", "--json", "--pid", str(child.pid)).stdout)
        assert doc["target"]["pid"] == child.pid and doc["target"]["exists"]
    finally:
        child.kill()
        child.wait()


def test_doctor_rejects_a_bad_pid() -> None:
    res = run_cli("doctor", "--pid", "0")
    assert res.returncode == 2
    assert res.stderr.startswith("sovprof: error:") and "Traceback" not in res.stderr

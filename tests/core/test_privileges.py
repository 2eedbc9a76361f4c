"""Permissions: the real facts of this machine, the parsers, and the assessment rules."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core import privileges as pv
from app.core.processes import CAP_SYS_PTRACE, has_cap
from app.core.sampling.pyspy import find_pyspy

NOBODY = 65534


def _facts(**changes: object) -> pv.Facts:
    """A non-root user on a typical desktop: Yama 1, paranoid 2, no capabilities."""
    base = pv.Facts(
        uid=1000,
        euid=1000,
        ptrace_scope=1,
        perf_event_paranoid=2,
        cap_eff=0,
        cap_bnd=(1 << 41) - 1,
        cap_amb=0,
        pyspy="/home/u/.venv/bin/py-spy",
        pmus=("cpu",),
        counters_open=("perf.task-clock", "perf.cycles"),
        kernel="6.8.0",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# -- this machine, for real ---------------------------------------------------


def test_report_on_this_machine_matches_the_kernel_files() -> None:
    rep = pv.report()
    f = rep.facts
    yama = Path(pv.YAMA_PATH)
    assert f.ptrace_scope == (int(yama.read_text()) if yama.exists() else None)
    assert f.perf_event_paranoid == int(Path(pv.PARANOID_PATH).read_text())
    assert f.root == (os.geteuid() == 0)
    assert f.pyspy == os.path.realpath(find_pyspy())
    assert f.self_has(pv.CAP_SYS_PTRACE) == has_cap(CAP_SYS_PTRACE)
    text = rep.text()
    if f.ptrace_scope is None:
        assert "no Yama LSM" in text
        assert "ptrace_scope" not in [o.key for o in rep.options]
    if f.root:  # root attaches to anything that Yama does not forbid outright
        for key in ("launched", "own", "other_users"):
            assert rep.ability(key).works, rep.ability(key)
        assert rep.ability("kernel_events").works
        assert not any(o.needed for o in rep.options if "own" in o.unlocks)
    assert rep.ability("counters").works == bool(f.counters_open)
    doc = rep.as_dict()
    assert doc["facts"]["yama"] == (f.ptrace_scope is not None)
    assert {a["key"] for a in doc["abilities"]} >= {"own", "other_users", "hardware_counters"}


def test_hardware_counters_follow_the_live_probe() -> None:
    f = pv.gather()
    hw = pv.assess(f).ability("hardware_counters")
    opened = [n for n in f.counters_open if n in pv._HW_COUNTERS]
    assert hw.works == bool(opened)
    if not opened:
        assert hw.why  # says why: no PMU, or the denial
    if not f.pmus:
        assert not hw.works


def test_status_caps_parse_real_proc_data() -> None:
    status = Path("/proc/self/status").read_text()
    caps = pv.parse_status_caps(status)
    assert set(caps) >= {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}
    line = next(x for x in status.splitlines() if x.startswith("CapEff:"))
    assert caps["CapEff"] == int(line.split()[1], 16)
    assert "cap_chown" in pv.cap_names(caps["CapBnd"]) or caps["CapBnd"] == 0
    child = subprocess.run(
        ["cat", "/proc/self/status"], capture_output=True, text=True, check=True
    ).stdout
    assert pv.parse_status_caps(child)["CapBnd"] == caps["CapBnd"]  # inherited as is


def test_target_facts_of_real_processes() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        t = pv.target_facts(child.pid)
        assert t.exists and t.descendant and t.uid == os.getuid()
        assert pv.target_facts(os.getppid()).descendant is False
    finally:
        child.kill()
        child.wait()
    assert pv.target_facts(child.pid).exists is False


def test_allow_tracing_by_runs_in_a_real_child() -> None:
    # Without Yama the prctl fails with EINVAL, which must not stop the launch.
    proc = subprocess.run(
        [sys.executable, "-c", "print('started')"],
        preexec_fn=pv.allow_tracing_by(os.getpid()),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "started"


# -- parsers -------------------------------------------------------------------


def test_parse_status_caps_synthetic() -> None:
    text = "Name:\tx\nCapEff:\t0000000000080000\nCapAmb:\tzz\nCapBnd:\t000001ffffffffff\n"
    caps = pv.parse_status_caps(text)
    assert caps == {"CapEff": 1 << 19, "CapBnd": (1 << 41) - 1}
    assert pv.cap_names(caps["CapEff"]) == ["cap_sys_ptrace"]
    assert pv.cap_names(1 << 38 | 1 << 50) == ["cap_perfmon", "cap_50"]
    assert pv.cap_names(0) == []


def _vfs(magic: int, *pairs: tuple[int, int], rootid: int | None = None) -> bytes:
    raw = magic.to_bytes(4, "little")
    for p, i in pairs:
        raw += p.to_bytes(4, "little") + i.to_bytes(4, "little")
    if rootid is not None:
        raw += rootid.to_bytes(4, "little")
    return raw


def test_parse_vfs_cap_revisions() -> None:
    v2 = pv.parse_vfs_cap(_vfs(0x02000001, (1 << 19, 0), (0, 0)))
    assert v2.effective and v2.grants(pv.CAP_SYS_PTRACE) and v2.text() == "cap_sys_ptrace=ep"
    v2p = pv.parse_vfs_cap(_vfs(0x02000000, (0, 0), (1 << (38 - 32), 0)))
    assert v2p.permitted == 1 << 38 and not v2p.effective
    assert not v2p.grants(pv.CAP_PERFMON)  # permitted only: not raised into effective
    v3 = pv.parse_vfs_cap(_vfs(0x03000001, (1 << 19, 0), (0, 0), rootid=100000))
    assert v3.rootid == 100000 and v3.grants(pv.CAP_SYS_PTRACE)
    v1 = pv.parse_vfs_cap(_vfs(0x01000001, (1 << 21, 1 << 21)))
    assert v1.grants(pv.CAP_SYS_ADMIN) and v1.inheritable == 1 << 21
    for bad in (b"", b"\x00\x00\x00\x05", _vfs(0x02000001, (1, 0))):
        with pytest.raises(ValueError):
            pv.parse_vfs_cap(bad)


def test_parse_getcap_formats() -> None:
    new = pv.parse_getcap("/x/py-spy cap_sys_ptrace=ep")
    assert new.grants(pv.CAP_SYS_PTRACE) and new.permitted == 1 << 19
    old = pv.parse_getcap("/x/py-spy = cap_sys_ptrace+ep")
    assert old == new
    two = pv.parse_getcap("/x/y cap_net_raw,cap_perfmon=ep")
    assert two.grants(pv.CAP_PERFMON) and not two.grants(pv.CAP_SYS_PTRACE)
    permitted_only = pv.parse_getcap("/x/y cap_sys_ptrace=p")
    assert permitted_only.permitted == 1 << 19 and not permitted_only.grants(19)
    minus = pv.parse_getcap("/x/y cap_sys_ptrace,cap_perfmon=ep cap_perfmon-ep")
    assert minus.grants(pv.CAP_SYS_PTRACE) and not minus.permitted >> pv.CAP_PERFMON & 1
    assert pv.parse_getcap("") == pv.FileCaps()
    assert pv.parse_getcap("/x/y") == pv.FileCaps()
    with pytest.raises(ValueError):
        pv.parse_getcap("/x/y cap_no_such_thing=ep")


# -- real file capabilities ----------------------------------------------------


@pytest.fixture
def setcap_pyspy(tmp_path: Path) -> Iterator[Path]:
    """A copy of the real py-spy with cap_sys_ptrace+ep (needs root and setcap)."""
    setcap = shutil.which("setcap") or "/usr/sbin/setcap"
    if os.geteuid() != 0 or not os.access(setcap, os.X_OK):
        pytest.skip("needs root and setcap (libcap2-bin)")
    copy = tmp_path / "py-spy"
    shutil.copy2(find_pyspy(), copy)
    copy.chmod(0o755)
    tmp_path.chmod(0o755)
    done = subprocess.run([setcap, "cap_sys_ptrace+ep", str(copy)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"setcap failed here: {done.stderr.decode().strip()}")
    yield copy


def test_file_caps_are_read_from_the_real_xattr(setcap_pyspy: Path) -> None:
    caps, source = pv.pyspy_file_caps(str(setcap_pyspy))
    assert source == "xattr" and caps is not None
    assert caps.grants(pv.CAP_SYS_PTRACE) and caps.text() == "cap_sys_ptrace=ep"
    getcap = shutil.which("getcap") or "/usr/sbin/getcap"
    if os.access(getcap, os.X_OK):
        line = subprocess.run([getcap, str(setcap_pyspy)], capture_output=True, text=True)
        assert pv.parse_getcap(line.stdout) == caps
    plain, _ = pv.pyspy_file_caps(find_pyspy())
    assert plain is None or not plain.grants(pv.CAP_SYS_PTRACE)


@pytest.mark.pyspy
def test_setcap_option_really_lets_an_unprivileged_user_attach(setcap_pyspy: Path) -> None:
    """The report's prediction for user "nobody", checked against the real kernel."""
    setpriv = shutil.which("setpriv")
    system_python = "/usr/bin/python3"
    if setpriv is None or not os.access(system_python, os.X_OK):
        pytest.skip("needs setpriv and a system Python that user nobody can read")
    target = subprocess.Popen([system_python, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.5)
        as_nobody = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]

        def dump(pyspy: str) -> subprocess.CompletedProcess[str]:
            cmd = [*as_nobody, pyspy, "dump", "--pid", str(target.pid)]
            return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

        real = pv.gather()
        caps, _ = pv.pyspy_file_caps(str(setcap_pyspy))
        nobody = dataclasses.replace(real, uid=NOBODY, euid=NOBODY, cap_eff=0, cap_amb=0)
        plain = pv.assess(dataclasses.replace(nobody, pyspy_caps=None))
        capped = pv.assess(dataclasses.replace(nobody, pyspy_caps=caps))
        assert not plain.ability("other_users").works
        assert capped.ability("other_users").works
        denied = dump(find_pyspy())
        assert denied.returncode != 0
        assert "permission denied" in (denied.stdout + denied.stderr).lower()
        ok = dump(str(setcap_pyspy))
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert f"Process {target.pid}" in ok.stdout
    finally:
        target.kill()
        target.wait()


# -- the rules (pure) ------------------------------------------------------------


def test_desktop_default_user_scope_1() -> None:
    rep = pv.assess(_facts())
    assert rep.ability("launched").works
    assert not rep.ability("own").works and "ptrace_scope=1" in rep.ability("own").why
    assert not rep.ability("other_users").works
    assert rep.ability("hardware_counters").works
    assert not rep.ability("kernel_events").works
    keys = [o.key for o in rep.options]
    assert keys == [
        "launch",
        "setcap_ptrace",
        "elevate_pyspy",
        "perf_paranoid",
        "setcap_perfmon",
        "ptrace_scope",
    ]
    by_key = {o.key: o for o in rep.options}
    assert not by_key["launch"].needed and by_key["setcap_ptrace"].needed
    assert (
        "sudo setcap cap_sys_ptrace+ep /home/u/.venv/bin/py-spy" in by_key["setcap_ptrace"].commands
    )
    assert any("sudo -n" in c for c in by_key["elevate_pyspy"].commands)
    assert any("pkexec" in c for c in by_key["elevate_pyspy"].commands)
    assert by_key["perf_paranoid"].needed
    assert "never run the sovprof GUI with sudo" in rep.text()


def test_file_capability_on_pyspy_allows_every_process() -> None:
    caps = pv.FileCaps(permitted=1 << pv.CAP_SYS_PTRACE, effective=True)
    rep = pv.assess(_facts(ptrace_scope=2, pyspy_caps=caps))
    assert all(rep.ability(k).works for k in ("launched", "own", "other_users"))
    # CAP_SYS_PTRACE in sovprof's own effective set does not reach py-spy across exec
    rep2 = pv.assess(_facts(ptrace_scope=2, cap_eff=1 << pv.CAP_SYS_PTRACE))
    assert not rep2.ability("own").works
    # ... but an ambient capability does
    rep3 = pv.assess(_facts(ptrace_scope=2, cap_amb=1 << pv.CAP_SYS_PTRACE))
    assert rep3.ability("own").works


def test_scope_3_forbids_everyone() -> None:
    rep = pv.assess(_facts(uid=0, euid=0, ptrace_scope=3))
    assert not any(rep.ability(k).works for k in ("launched", "own", "other_users"))
    assert any("reboot" in n for n in rep.notes)


def test_no_yama_and_perf_rules() -> None:
    rep = pv.assess(_facts(ptrace_scope=None, perf_event_paranoid=1))
    assert rep.ability("own").works and "no Yama LSM" in rep.ability("own").why
    assert not rep.ability("other_users").works
    assert rep.ability("kernel_events").works
    assert "ptrace_scope" not in [o.key for o in rep.options]
    perfmon = pv.assess(_facts(perf_event_paranoid=4, cap_eff=1 << pv.CAP_PERFMON))
    assert perfmon.ability("kernel_events").works
    assert "CAP_PERFMON" in perfmon.ability("kernel_events").why


def test_hardware_counters_explain_the_missing_pmu() -> None:
    rep = pv.assess(_facts(pmus=(), counters_open=("perf.task-clock",)))
    hw = rep.ability("hardware_counters")
    assert not hw.works and "PMU" in hw.why
    denied = (("perf.cycles", "permission denied (EACCES)"),)
    rep2 = pv.assess(_facts(counters_open=(), counters_unsupported=denied))
    assert rep2.ability("hardware_counters").why == "permission denied (EACCES)"
    assert not rep2.ability("counters").works


def test_target_rules() -> None:
    mine = pv.TargetFacts(4242, True, 1000, descendant=False, name="python3")
    child = dataclasses.replace(mine, descendant=True)
    other = dataclasses.replace(mine, uid=0)
    assert not pv.assess(_facts(target=mine)).target.works  # type: ignore[union-attr]
    assert pv.assess(_facts(target=child)).target.works  # type: ignore[union-attr]
    rep = pv.assess(_facts(ptrace_scope=0, target=other))
    assert rep.target is not None and not rep.target.works
    assert "another user" in rep.target.why
    gone = pv.assess(_facts(target=pv.TargetFacts(4242, False)))
    assert gone.target is not None and gone.target.why == "no such process"
    assert gone.as_dict()["target"]["pid"] == 4242

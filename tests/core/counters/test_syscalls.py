"""strace -c syscall summaries: the parser on saved tables, the real strace on real
processes, and py-spy --nonblocking sampling the same target while strace traces it."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.core.counters.base import TargetGoneError
from app.core.counters.syscalls import (
    INSTALL_HINT,
    REQUIRES_NONBLOCKING_SAMPLER,
    SAMPLER_FLAGS_WHILE_TRACING,
    StraceMissingError,
    StracePermissionError,
    SyscallStat,
    SyscallSummary,
    SyscallTraceError,
    find_strace,
    parse_strace_summary,
    syscall_summary,
)
from app.core.sampling.pyspy import find_pyspy
from sovprof_testing import TARGETS, SpawnTarget

HAVE_STRACE = shutil.which("strace") is not None
needs_strace = pytest.mark.skipif(not HAVE_STRACE, reason=INSTALL_HINT)

# -- saved tables ----------------------------------------------------------------------

# Captured here: strace 6.1, `strace -f -c -S time -p PID` on tests/targets/sys_io.py,
# stopped by SIGINT (stderr as syscall_summary reads it: attach/detach lines included).
# The newer table: the total row has a usecs/call value.
STRACE61_DEFAULT = """\
strace: Process 8062 attached
strace: Process 8062 detached
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 47.27    0.018246           4      3793           lseek
 26.83    0.010357           5      1896           write
 25.63    0.009891           5      1897           read
  0.27    0.000103           5        19        19 newfstatat
------ ----------- ----------- --------- --------- ----------------
100.00    0.038597           5      7605        19 total
"""

# Captured here: strace 6.1 with the columns syscall_summary asks for
# (-U time-percent,total-time,avg-time,max-time,calls,errors,name).
STRACE61_MAX_TIME = """\
strace: Process 8062 attached
strace: Process 8062 detached
% time     seconds  usecs/call  longest     calls    errors syscall
------ ----------- ----------- -------- --------- --------- ----------------
 45.08    0.013362           2 0.000018      5772           lseek
 28.63    0.008484           2 0.000018      2886           write
 26.01    0.007709           2 0.000015      2885           read
  0.28    0.000083           2 0.000004        29        29 newfstatat
------ ----------- ----------- -------- --------- --------- ----------------
100.00    0.029638           2 0.000018     11572        29 total
"""

# Captured here: strace 6.1 -c -w -U name,calls,errors,time-total,time-avg,time-min,
# time-max,time-percent on `ls /` (rows cut): name first, percent last.
STRACE61_NAME_FIRST = """\
syscall              calls    errors     seconds  usecs/call shortest  longest % time
---------------- --------- --------- ----------- ----------- -------- -------- ------
mmap                    30              0.000348          11 0.000009 0.000038  21.52
openat                  34        13    0.000310           9 0.000008 0.000013  19.20
getdents64               2              0.000182          90 0.000009 0.000173  11.24
execve                   1              0.000148         148 0.000148 0.000148   9.18
---------------- --------- --------- ----------- ----------- -------- -------- ------
total                  145        19    0.001616          11 0.000007 0.000173 100.00
"""

# The classic table (strace 4.x/5.x): the total row leaves usecs/call blank.  Only
# strace 6.1 is installed here, so this is a published `strace -c ./a.out` output
# from a public repository, kept verbatim.
CLASSIC = """\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 37.42    0.000171           7        22           mmap
 21.01    0.000096          13         7           mprotect
  8.32    0.000038           7         5           close
  7.00    0.000032           6         5           openat
  6.35    0.000029           7         4           read
  6.13    0.000028           9         3           brk
  5.69    0.000026           5         5           fstat
  5.25    0.000024          24         1           munmap
  2.84    0.000013           6         2         1 arch_prctl
  0.00    0.000000           0         6           pread64
  0.00    0.000000           0         1         1 access
  0.00    0.000000           0         1           execve
------ ----------- ----------- --------- --------- ----------------
100.00    0.000457                    62         2 total
"""

# Classic, from a published session too: old strace on `-p` with no syscall in the
# interval (an empty table), and a table with "nan" percentages (all times zero).
CLASSIC_EMPTY_AND_NAN = """\
Process 15359 attached - interrupt to quit
Process 15359 detached
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
------ ----------- ----------- --------- --------- ----------------
100.00    0.000000                     0           total
"""
CLASSIC_NAN = """\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
   nan    0.000000           0       173           read
   nan    0.000000           0         4           write
   nan    0.000000           0        91         3 stat64
------ ----------- ----------- --------- --------- ----------------
100.00    0.000000                   268         3 total
"""

# Two personalities (a 64-bit process that also made 32-bit calls): strace prints one
# table per personality.  Assembled from the captured tables above with strace's own
# heading line; no 32-bit program to trace here.
TWO_PERSONALITIES = STRACE61_DEFAULT + (
    "System call usage summary for 32 bit mode:\n"
    "% time     seconds  usecs/call     calls    errors syscall\n"
    "------ ----------- ----------- --------- --------- ----------------\n"
    " 90.00    0.000900           9       100           write\n"
    " 10.00    0.000100          10        10           getpid\n"
    "------ ----------- ----------- --------- --------- ----------------\n"
    "100.00    0.001000           9       110           total\n"
)


def test_parses_the_strace61_table() -> None:
    rows, total = parse_strace_summary(STRACE61_DEFAULT)
    assert [r.name for r in rows] == ["lseek", "write", "read", "newfstatat"]
    assert rows[1] == SyscallStat("write", 1896, 0, 0.010357, 5.0, 26.83)
    assert rows[3].errors == 19 and rows[3].calls == 19
    assert total == SyscallStat("total", 7605, 19, 0.038597, 5.0, 100.0)
    assert sum(r.calls for r in rows) == total.calls


def test_parses_extra_and_reordered_columns() -> None:
    rows, total = parse_strace_summary(STRACE61_MAX_TIME)
    assert rows[0] == SyscallStat("lseek", 5772, 0, 0.013362, 2.0, 45.08, None, 0.000018)
    assert total.max_seconds == 0.000018 and total.calls == 11572 and total.errors == 29

    rows, total = parse_strace_summary(STRACE61_NAME_FIRST)
    assert rows[1] == SyscallStat("openat", 34, 13, 0.000310, 9.0, 19.20, 0.000008, 0.000013)
    assert rows[0].errors == 0  # blank cell
    assert total == SyscallStat("total", 145, 19, 0.001616, 11.0, 100.0, 0.000007, 0.000173)


def test_parses_the_classic_table() -> None:
    rows, total = parse_strace_summary(CLASSIC)
    assert len(rows) == 12
    assert rows[8] == SyscallStat("arch_prctl", 2, 1, 0.000013, 6.0, 2.84)
    assert rows[10] == SyscallStat("access", 1, 1, 0.0, 0.0, 0.0)
    # total row: blank usecs/call, yet calls and errors land in their own columns
    assert total == SyscallStat("total", 62, 2, 0.000457, None, 100.0)


def test_parses_classic_empty_and_nan_tables() -> None:
    rows, total = parse_strace_summary(CLASSIC_EMPTY_AND_NAN)
    assert rows == []
    assert total == SyscallStat("total", 0, 0, 0.0, None, 100.0)
    rows, total = parse_strace_summary(CLASSIC_NAN)
    assert [(r.name, r.calls, r.errors, r.percent_time) for r in rows] == [
        ("read", 173, 0, None),
        ("write", 4, 0, None),
        ("stat64", 91, 3, None),
    ]
    assert (total.calls, total.errors) == (268, 3)


def test_merges_personality_tables() -> None:
    rows, total = parse_strace_summary(TWO_PERSONALITIES)
    by = {r.name: r for r in rows}
    assert by["write"].calls == 1896 + 100
    assert by["write"].seconds == pytest.approx(0.010357 + 0.000900)
    assert by["getpid"].calls == 10
    assert total.calls == 7605 + 110 and total.errors == 19
    assert total.seconds == pytest.approx(0.038597 + 0.001)
    assert sum(r.percent_time or 0 for r in rows) == pytest.approx(100.0)


def test_text_without_a_table_is_an_error() -> None:
    with pytest.raises(ValueError, match="no strace -c summary table"):
        parse_strace_summary("strace: attach: ptrace(PTRACE_SEIZE, 1): Operation not permitted\n")


# -- real strace on real processes ----------------------------------------------------


def _tracer(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("TracerPid:"):
            return int(line.split()[1])
    raise AssertionError("no TracerPid line")


@needs_strace
def test_io_target_shows_write_and_read(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("sys_io", "30")
    summary = syscall_summary(proc.pid, 1.5)
    assert isinstance(summary, SyscallSummary)
    assert summary.pid == proc.pid and not summary.target_exited
    assert 1.4 < summary.elapsed_s < 3.0
    assert summary.time_kind == "system"
    assert summary.strace_version.startswith("strace")
    top = {r.name: r for r in summary.top_by_count(4)}
    assert {"write", "read", "lseek"} <= set(top), summary.rows
    for name in ("write", "read"):
        assert top[name].calls > 1000
        assert top[name].seconds > 0
        assert top[name].errors == 0
    assert summary.top_by_count(1)[0].name == "lseek"  # two per write/read pair
    assert summary.top_by_time(3)[0].seconds >= summary.top_by_time(3)[-1].seconds
    failing = [r for r in summary.rows if r.errors]
    assert failing and failing[0].name in ("newfstatat", "stat", "statx")  # ENOENT
    assert summary.total.calls == sum(r.calls for r in summary.rows)
    json.dumps(summary.as_dict())
    # strace detached: the target runs on, untraced
    assert proc.poll() is None
    assert _tracer(proc.pid) == 0


@needs_strace
def test_target_exiting_mid_interval_gives_its_summary(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("sys_io", "1")
    t0 = time.monotonic()
    summary = syscall_summary(proc.pid, 20)
    assert time.monotonic() - t0 < 10  # returned at the exit, not after 20 s
    assert summary.target_exited
    assert summary.elapsed_s < 10
    names = {r.name for r in summary.rows}
    assert {"write", "read"} <= names
    assert summary.total.calls > 1000
    assert proc.wait(timeout=10) == 0


@needs_strace
def test_idle_target_gives_an_empty_summary() -> None:
    """strace 6 prints no table when no syscall completes: that is zero calls, no error."""
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        time.sleep(0.1)
        summary = syscall_summary(sleeper.pid, 0.5)
        assert summary.total.calls <= 2  # at most the restarted sleep
        assert not summary.target_exited
    finally:
        sleeper.kill()
        sleeper.wait()


@needs_strace
def test_missing_pid_is_a_clear_error() -> None:
    with pytest.raises(TargetGoneError, match="no process with PID 999999999"):
        syscall_summary(999_999_999, 1)
    with pytest.raises(SyscallTraceError, match="cannot strace itself"):
        syscall_summary(os.getpid(), 1)
    with pytest.raises(ValueError, match="positive"):
        syscall_summary(1, 0)


def test_missing_strace_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no strace on PATH
    with pytest.raises(StraceMissingError, match=r"apt-get install strace"):
        find_strace()
    with pytest.raises(StraceMissingError, match=r"strace is not installed: install strace"):
        syscall_summary(os.getppid(), 1)
    with pytest.raises(StraceMissingError, match="'no-such-strace' not found"):
        syscall_summary(os.getppid(), 1, strace="no-such-strace")


@needs_strace
@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv"
)
def test_permission_denied_names_the_ptrace_fixes(
    spawn_target: SpawnTarget, tmp_path: Path
) -> None:
    """strace run as ``nobody`` against a root-owned target: a real EPERM."""
    proc = spawn_target("sys_io", "30")
    wrapper = tmp_path / "strace-as-nobody"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"exec setpriv --reuid=65534 --regid=65534 --clear-groups {shutil.which('strace')} "
        '"$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(StracePermissionError) as err:
        syscall_summary(proc.pid, 1, strace=str(wrapper))
    msg = str(err.value)
    assert f"not allowed to trace PID {proc.pid}" in msg
    assert "Operation not permitted" in msg
    assert "ptrace_scope" in msg and "CAP_SYS_PTRACE" in msg
    assert proc.poll() is None


@needs_strace
def test_already_traced_target_names_its_tracer(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("sys_io", "30")
    other = subprocess.Popen(
        ["strace", "-o", os.devnull, "-p", str(proc.pid)], stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while _tracer(proc.pid) != other.pid:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with pytest.raises(StracePermissionError, match=rf"already traced by PID {other.pid} "):
            syscall_summary(proc.pid, 1)
    finally:
        other.terminate()
        other.wait()


# -- strace and py-spy on the same target ---------------------------------------------


def _trace_in_background(pid: int, seconds: float) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["summary"] = syscall_summary(pid, seconds)
        except BaseException as exc:  # handed to the test thread
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while _tracer(pid) == 0:  # wait until strace holds the target
        assert "error" not in result, result
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return thread, result


@needs_strace
@pytest.mark.pyspy
@pytest.mark.slow
def test_nonblocking_pyspy_samples_while_strace_traces(
    spawn_target: SpawnTarget, tmp_path: Path
) -> None:
    assert REQUIRES_NONBLOCKING_SAMPLER is True
    assert "--nonblocking" in SAMPLER_FLAGS_WHILE_TRACING
    proc = spawn_target("sys_io", "60")
    thread, result = _trace_in_background(proc.pid, 5)
    tracer = _tracer(proc.pid)
    out = tmp_path / "during.json"
    rec = subprocess.run(
        [
            find_pyspy(),
            "record",
            *SAMPLER_FLAGS_WHILE_TRACING,
            "--duration",
            "2",
            "--format",
            "speedscope",
            "-o",
            str(out),
            "--pid",
            str(proc.pid),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert _tracer(proc.pid) == tracer  # strace held the target the whole time
    thread.join(timeout=30)
    assert rec.returncode == 0, rec.stderr
    doc = json.loads(out.read_text())
    samples = sum(len(p["samples"]) for p in doc["profiles"])
    assert samples > 50, rec.stderr  # ~200 at 100 Hz for 2 s
    frames = {f["name"] for f in doc["shared"]["frames"]}
    assert {"write_some", "read_some"} & frames
    assert "error" not in result, result.get("error")
    summary = result["summary"]
    assert isinstance(summary, SyscallSummary)
    assert {"write", "read"} <= {r.name for r in summary.top_by_count(5)}


@needs_strace
@pytest.mark.pyspy
@pytest.mark.slow
def test_blocking_pyspy_is_refused_while_strace_traces(
    spawn_target: SpawnTarget, tmp_path: Path
) -> None:
    """Why REQUIRES_NONBLOCKING_SAMPLER: blocking py-spy needs the ptrace slot."""
    proc = spawn_target("sys_io", "60")
    thread, result = _trace_in_background(proc.pid, 4)
    out = tmp_path / "blocking.json"
    cmd = [find_pyspy(), "record", "--duration", "1", "--format", "speedscope"]
    rec = subprocess.run(
        [*cmd, "-o", str(out), "--pid", str(proc.pid)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    thread.join(timeout=30)
    assert "error" not in result, result.get("error")
    # observed with py-spy 0.4: "Error: Failed to suspend process … EPERM", exit 1
    assert rec.returncode != 0, rec.stderr
    assert "EPERM" in rec.stderr or "not permitted" in rec.stderr, rec.stderr
    assert not out.exists()


def test_syscall_target_prints_ready_and_exits() -> None:
    done = subprocess.run(
        [sys.executable, str(TARGETS / "sys_io.py"), "0.2"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0 and done.stdout == "ready\n"

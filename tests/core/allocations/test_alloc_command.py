"""Launching under memray: how commands are rewritten, what is refused and why, and the
launcher itself on small real programs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.allocations.command import (
    LAUNCHER_PATH,
    AllocationError,
    attach_command,
    check_memray,
    launch_command,
    split_python_command,
)
from app.core.allocations.reader import read_capture
from sovprof_testing import ROOT


@pytest.mark.parametrize(
    ("cmd", "options", "target"),
    [
        (["python", "s.py", "-x", "1"], (), ("s.py", "-x", "1")),
        (
            ["python3.11", "-u", "-X", "dev", "-W", "error", "s.py"],
            ("-u", "-X", "dev", "-W", "error"),
            ("s.py",),
        ),
        (
            ["python", "-OO", "-Xfrozen_modules=off", "s.py"],
            ("-OO", "-Xfrozen_modules=off"),
            ("s.py",),
        ),
        (["/usr/bin/python3", "-m", "pkg.mod", "--flag"], (), ("-m", "pkg.mod", "--flag")),
        (["python", "-mhttp.server", "8000"], (), ("-m", "http.server", "8000")),
        (["python", "-B", "-c", "print(1)", "a"], ("-B",), ("-c", "print(1)", "a")),
        (["pypy3", "--", "s.py"], (), ("s.py",)),
    ],
)
def test_split_python_commands(
    cmd: list[str], options: tuple[str, ...], target: tuple[str, ...]
) -> None:
    py = split_python_command(cmd)
    assert py.interpreter == cmd[0]
    assert py.options == options
    assert py.target == target


def test_python_scripts_run_with_their_shebang_interpreter(tmp_path: Path) -> None:
    script = tmp_path / "tool"
    script.write_text("#!/usr/bin/env -S python3 -u\nprint('hi')\n")
    script.chmod(0o755)
    py = split_python_command([str(script), "arg"])
    assert (py.interpreter, py.options, py.target) == ("python3", ("-u",), (str(script), "arg"))


@pytest.mark.parametrize(
    ("cmd", "message"),
    [
        (["ls", "-l"], "needs a Python command"),
        (["python"], "needs a program to run"),
        (["python", "-"], "needs a program to run"),
        (["python", "-i", "s.py"], "cannot be used with --allocations"),
        (["python", "-m"], "needs an argument"),
        ([], "no command"),
    ],
)
def test_commands_that_cannot_run_under_memray(cmd: list[str], message: str) -> None:
    with pytest.raises(AllocationError) as exc:
        split_python_command(cmd)
    assert message in str(exc.value)


def test_launch_command_wraps_the_same_interpreter() -> None:
    out = launch_command([sys.executable, "-u", "s.py", "1"], "/tmp/x.bin", native=True)
    assert out == [
        sys.executable, "-u", LAUNCHER_PATH, "--output", "/tmp/x.bin", "--interval", "0.1",
        "--native", "--", "s.py", "1",
    ]  # fmt: skip


def test_an_interpreter_without_memray_is_named(tmp_path: Path) -> None:
    # The same Python, isolated from site-packages: a real interpreter that lacks memray.
    bare = tmp_path / "python3"
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "$@"\n')
    bare.chmod(0o755)
    with pytest.raises(AllocationError) as exc:
        check_memray(str(bare))
    assert "cannot import memray" in str(exc.value) and "pip install memray" in str(exc.value)
    check_memray(sys.executable)  # and ours has it


def test_attach_without_gdb_or_lldb_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no debugger on PATH
    with pytest.raises(AllocationError) as exc:
        attach_command(1234, str(tmp_path / "x.bin"))
    text = str(exc.value)
    assert "gdb or lldb" in text and "neither is installed" in text
    assert "sovprof record --allocations --" in text


def _launch(tmp_path: Path, *target: str) -> tuple[subprocess.Popen[str], Path]:
    out = tmp_path / "cap.bin"
    cmd = launch_command([sys.executable, *target], str(out))
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return proc, out


def test_launcher_keeps_exit_status_argv_and_stdout(tmp_path: Path) -> None:
    code = "import sys; print(sys.argv); b = [bytearray(100_000) for _ in range(50)]; sys.exit(3)"
    proc, out = _launch(tmp_path, "-c", code, "a", "b")
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3, stderr
    assert stdout.strip() == "['-c', 'a', 'b']"
    cap = read_capture(out)
    rows = {(f.function, f.file) for f in cap.bytes_profile.frames.frames}
    assert ("<module>", "<string>") in rows
    assert not any(file == LAUNCHER_PATH for _, file in rows)  # the launcher is cut away
    assert cap.total_bytes >= 50 * 100_000


def test_launcher_runs_modules(tmp_path: Path) -> None:
    proc, out = _launch(tmp_path, "-m", "json.tool", "--help")
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "json.tool" in stdout or "usage" in stdout
    assert out.exists()


def test_sigterm_still_leaves_a_complete_timed_capture(tmp_path: Path) -> None:
    code = (
        "import time\nprint('ready', flush=True)\n"
        "while True:\n    b = bytearray(200_000)\n    time.sleep(0.01)\n"
    )
    proc, out = _launch(tmp_path, "-c", code)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    cap = read_capture(out)
    assert not cap.meta["truncated"]
    assert cap.series.timed and cap.meta["clock_ticks"] >= 10
    # about 100 bytearrays a second, seen bin by bin
    busy = [r for r in cap.series.rates() if r[1] - r[0] > 0.05]
    assert sum(1 for r in busy if r[2] > 20) >= 0.8 * len(busy)
    assert os.path.getsize(out) > 0

"""Faults of the session store file: truncated, corrupted, read-only, from the future, or
on a disk that fills up (or hits `ulimit -f`) while recording."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fault_support import (
    STORE_NAME,
    Committed,
    assert_contiguous,
    assert_kept,
    copy_store,
    json_doc,
    one_line_error,
    read_committed,
    remount_read_only,
    running,
    start_program,
    start_recorder,
    wait_for_windows,
)

from sovprof_testing import run_cli

pytestmark = pytest.mark.pyspy

Recorded = tuple[Path, Committed]


def _every_command_refuses(home: Path, tmp_path: Path, *needles: str) -> None:
    """sessions, export, import and record all stop with the same kind of one-line error."""
    spare = tmp_path / "spare.txt"
    spare.write_text("main (a.py:1);f (a.py:2) 5\n")
    for args in (
        ("sessions",),
        ("export", "1", "-o", str(tmp_path / "out.json")),
        ("import", str(spare)),
    ):
        one_line_error(run_cli(*args, home=home), *needles)
    with running(start_program("ratio_70_30", "30")) as target:
        res = run_cli("record", "--pid", str(target.pid), "--duration", "1", home=home)
    one_line_error(res, *needles)


@pytest.mark.parametrize("keep", ["half", "header"])
def test_store_truncated(keep: str, recorded: Recorded, tmp_path: Path) -> None:
    """Store file truncated → every command refuses it with one line ("damaged …
    truncated … move it aside", exit 1) and leaves it byte for byte as it was; moved
    aside, a new store starts."""
    home = tmp_path / "home"
    store = copy_store(recorded[0], home)
    data = store.read_bytes()
    cut = data[: len(data) // 2] if keep == "half" else data[:50]
    store.write_bytes(cut)
    why = "truncated" if keep == "half" else "SQLite header"
    _every_command_refuses(home, tmp_path, "damaged", why, "move it aside")
    assert store.read_bytes() == cut
    store.rename(home / "damaged.sqlite")
    assert json_doc(run_cli("sessions", "--json", home=home)) == {"sessions": []}


def test_store_corrupted(recorded: Recorded, tmp_path: Path) -> None:
    """Store file with garbage bytes over its middle pages → every command refuses it with
    one line ("damaged … malformed", exit 1) and none of them writes to it."""
    home = tmp_path / "home"
    store = copy_store(recorded[0], home)
    data = bytearray(store.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    assert len(data) >= 4 * page
    garbage = bytes((i * 37 + 11) % 251 for i in range(len(data) - 2 * page))
    data[page : len(data) - page] = garbage  # every page but the header page and the last
    store.write_bytes(bytes(data))
    _every_command_refuses(home, tmp_path, "damaged", "malformed")
    assert store.read_bytes() == bytes(data)


def test_store_from_a_future_version(recorded: Recorded, tmp_path: Path) -> None:
    """Store written by a newer sovprof (a higher schema version) → every command refuses it
    with one line ("written by a newer sovprof … upgrade", exit 1); the file is not
    migrated, written or lost."""
    home = tmp_path / "home"
    store = copy_store(recorded[0], home)
    with contextlib.closing(sqlite3.connect(store)) as conn:
        conn.execute("PRAGMA user_version = 99")
        conn.commit()
    data = store.read_bytes()
    _every_command_refuses(home, tmp_path, "newer sovprof", "schema 99", "upgrade")
    assert store.read_bytes() == data
    assert read_committed(store, 1) == recorded[1]


def _read_only_mount(tmpfs: Callable[[str], Path], src: Path) -> Path:
    home = tmpfs("8m")
    copy_store(src, home)
    remount_read_only(home)
    return home


def _immutable_file(tmp_path: Path, src: Path) -> Path:
    home = tmp_path / "home"
    store = copy_store(src, home)
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    res = subprocess.run(["chattr", "+i", str(store)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot make the store immutable here: {res.stderr.strip()}")
    return home


@pytest.mark.parametrize("how", ["read-only mount", "immutable file"])
def test_store_read_only(
    how: str, recorded: Recorded, tmp_path: Path, tmpfs: Callable[[str], Path]
) -> None:
    """Store on a read-only file system, or an immutable file (`chattr +i`; root ignores
    permission bits) → sessions and export still read every committed sample; record,
    import and rename refuse with one line ("read-only", exit 1)."""
    if how == "read-only mount":
        home = _read_only_mount(tmpfs, recorded[0])
    else:
        home = _immutable_file(tmp_path, recorded[0])
    store = home / STORE_NAME
    try:
        (info,) = json_doc(run_cli("sessions", "--json", home=home))["sessions"]
        assert info["samples"] == recorded[1].total
        assert info["windows"] == len(recorded[1].windows)
        out = tmp_path / "out.json"
        res = run_cli("export", "1", "-o", str(out), "--json", home=home)
        assert json_doc(res)["samples"] == recorded[1].total
        one_line_error(run_cli("import", str(out), home=home), "read-only")
        one_line_error(run_cli("sessions", "--rename", "1", "x", home=home), "read-only")
        with running(start_program("ratio_70_30", "30")) as target:
            res = run_cli("record", "--pid", str(target.pid), "--duration", "1", home=home)
        one_line_error(res, "read-only")
        assert read_committed(store, 1, immutable=True) == recorded[1]
    finally:
        if how == "immutable file":
            subprocess.run(["chattr", "-i", str(store)], check=False)


def _fill(folder: Path) -> None:
    """Write a file into ``folder`` until its file system is full."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for size in (1 << 16, 512, 1):  # big blocks, then the last few bytes
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    assert shutil.disk_usage(folder).free < 4096


def test_disk_full_while_recording(tmpfs: Callable[[str], Path]) -> None:
    """Disk full while recording (a small tmpfs filled up under it) → the recorder stops
    with one line ("the disk … is full", exit 1); once space is freed, every window it
    committed before is intact."""
    home = tmpfs("4m")
    store = home / STORE_NAME
    with running(start_program("ratio_70_30", "60")) as target:
        rec = start_recorder(home, "--pid", str(target.pid), "--quiet")
        with running(rec):
            wait_for_windows(store, 3, rec, timeout=30)
            before = read_committed(store)
            _fill(home)
            out, err = rec.communicate(timeout=30)
    one_line_error(subprocess.CompletedProcess([], rec.returncode, out, err), "is full")
    (home / "filler").unlink()
    after = read_committed(store, 1)
    assert_kept(before, after)
    assert_contiguous(after)
    (info,) = json_doc(run_cli("sessions", "--json", home=home))["sessions"]
    assert info["status"] in ("failed", "interrupted") and info["samples"] == after.total


def test_file_size_limit_while_recording(home: Path) -> None:
    """File-size limit hit while recording (`ulimit -f`, RLIMIT_FSIZE on the recorder) →
    the recorder stops with one line naming the limit ("… size limit (ulimit -f)", exit 1),
    not calling the store damaged; every window committed before is intact."""
    store = home / STORE_NAME
    limit = 160 * 1024

    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with running(start_program("ratio_70_30", "60")) as target:
        rec = start_recorder(home, "--pid", str(target.pid), "--quiet", preexec_fn=limit_files)
        with running(rec):
            wait_for_windows(store, 1, rec, timeout=30)
            before = read_committed(store)
            out, err = rec.communicate(timeout=120)
    line = one_line_error(subprocess.CompletedProcess([], rec.returncode, out, err), "ulimit -f")
    assert "damaged" not in line
    after = read_committed(store, 1)
    assert_kept(before, after)
    assert_contiguous(after)
    assert os.path.getsize(store) <= limit

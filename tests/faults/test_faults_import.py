"""Faults of imported files: truncated or garbage input to `sovprof import`."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from fault_support import STORE_NAME, Committed, copy_store, one_line_error, read_committed

from sovprof_testing import run_cli

Recorded = tuple[Path, Committed]


@pytest.fixture(scope="module")
def exported(recorded: Recorded, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The recorded session exported by sovprof as speedscope and as collapsed stacks."""
    out = tmp_path_factory.mktemp("exported")
    files = {}
    for fmt in ("speedscope", "collapsed"):
        path = out / f"{fmt}.out"
        res = run_cli("export", "1", "--format", fmt, "-o", str(path), "--store", str(recorded[0]))
        assert res.returncode == 0, res.stderr
        files[fmt] = path.read_bytes()
    return files


def _cut(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


def _mid_line(data: bytes) -> bytes:
    """Cut inside the last line (past its last separator, before its count)."""
    body = data.rstrip(b"\n")
    return body[: body.rindex(b" ") - 3]


CASES = {
    "speedscope cut at 10%": lambda f: _cut(f["speedscope"], 0.1),
    "speedscope cut at 60%": lambda f: _cut(f["speedscope"], 0.6),
    "speedscope missing its last byte": lambda f: f["speedscope"].rstrip()[:-1],
    "collapsed cut inside a line": lambda f: _mid_line(f["collapsed"]),
    "random bytes": lambda f: os.urandom(4096),
    "empty file": lambda f: b"",
    "JSON that is not a profile": lambda f: b'{"profiles": 3, "hello": [1, 2]}',
    "text that is not stacks": lambda f: b"Dear reader,\nthis is a letter.\n",
}


@pytest.mark.parametrize("case", list(CASES))
def test_import_truncated_or_garbage(
    case: str, exported: dict[str, bytes], recorded: Recorded, tmp_path: Path
) -> None:
    """Truncated or garbage file given to `sovprof import` (speedscope cut short, collapsed
    cut mid-line, random bytes, empty, JSON or text that is no profile) → refused with one
    line naming the file (exit 1); nothing is stored and the sessions already there are
    untouched."""
    home = tmp_path / "home"
    store = copy_store(recorded[0], home)
    bad = tmp_path / f"{case.replace(' ', '_')}.in"
    bad.write_bytes(CASES[case](exported))
    one_line_error(run_cli("import", str(bad), home=home), str(bad))
    with closing(sqlite3.connect(store)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 1
    assert read_committed(home / STORE_NAME, 1) == recorded[1]

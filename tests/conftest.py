"""Shared fixtures: real target processes and the real ``sovprof`` command."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sovprof_testing import TARGETS, SpawnTarget


@pytest.fixture
def sovprof_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SOVPROF_HOME", str(home))
    return home


@pytest.fixture
def spawn_target() -> Iterator[SpawnTarget]:
    """Start ``tests/targets/NAME.py ARGS`` and wait for its "ready" line."""
    procs: list[subprocess.Popen[str]] = []

    def spawn(name: str, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, str(TARGETS / f"{name}.py"), *args],
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", f"target {name} did not start: {line!r}"
        return proc

    yield spawn
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()

"""Shared fixtures: real target processes and the real ``sovprof`` command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "tests" / "targets"


@pytest.fixture
def sovprof_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SOVPROF_HOME", str(home))
    return home


def cli_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("SOVPROF_DEBUG", None)
    if home is not None:
        env["SOVPROF_HOME"] = str(home)
    env.update(extra)
    return env


def run_cli(
    *args: str, home: Path | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real ``sovprof`` (as ``python -m app``) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or cli_env(home),
        cwd=ROOT,
    )


SpawnTarget = Callable[..., subprocess.Popen[str]]


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

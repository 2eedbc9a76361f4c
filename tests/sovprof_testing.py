"""Helpers the tests share (a plain module: conftest files are not importable by name)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "tests" / "targets"


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

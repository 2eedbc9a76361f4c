"""Child processes for tiers: the worker command line and a bounded JSON run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any


def worker_command(module: str = "kernels.worker", *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def python_path_env(env: dict[str, str]) -> dict[str, str]:
    """Make sure the child imports the same ``kernels`` package as this process."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = [root, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))
    return env


def signal_name(returncode: int) -> str:
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit status {returncode}"


def run_json(
    cmd: list[str], stdin: str, env: dict[str, str], timeout_s: float
) -> tuple[list[dict[str, Any]], str | None]:
    """Run ``cmd`` to completion; return its JSON lines and a problem (None when fine)."""
    try:
        proc = subprocess.run(
            cmd,
            input=stdin,
            capture_output=True,
            text=True,
            env=python_path_env(env),
            timeout=timeout_s,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        return [], f"did not answer within {timeout_s:g} s"
    except OSError as exc:
        return [], f"cannot start {cmd[0]}: {exc.strerror or exc}"
    events: list[dict[str, Any]] = []
    try:
        whole = json.loads(proc.stdout)
        lines: list[str] = []
        if isinstance(whole, dict):
            events.append(whole)
    except ValueError:
        lines = proc.stdout.splitlines()
    for line in lines:
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or [""])[-1]
        fatal = next((e.get("error") for e in events if e.get("event") == "fatal"), None)
        return events, fatal or f"crashed ({signal_name(proc.returncode)}) {tail}".strip()
    return events, None

"""Real recordings of ``tests/targets/diff_target.py`` for the comparison tests.

Recorded once per pytest run, when first needed (the CLI and the GUI tests share
them through the session's base temporary directory), by attaching the real
``sovprof record`` (and py-spy) to the running target:

    before   diff_target.py before --threaded   hot 10 %, cold 40 %, steady 50 %
    after    diff_target.py after --threaded    hot 40 %, cold 10 %, steady 50 %
    busy     diff_target.py before --duty 0.8   main thread busy 80 % of the time
    light    diff_target.py before --duty 0.4   main thread busy 40 % of the time
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from sovprof_testing import TARGETS, run_cli

# name: (seconds recorded, target arguments)
SESSIONS = {
    "before": (5, ("before", "--threaded")),
    "after": (5, ("after", "--threaded")),
    "busy": (4, ("before", "--duty", "0.8")),
    "light": (4, ("before", "--duty", "0.4")),
}


@dataclass(frozen=True)
class DiffStore:
    home: Path
    ids: dict[str, int]

    @property
    def store_path(self) -> Path:
        return self.home / "sessions.sqlite"


def _record(home: Path, name: str, seconds: int, args: tuple[str, ...]) -> int:
    """Attach to a started target, so that its start-up is not in the first window."""
    target = subprocess.Popen(
        [sys.executable, str(TARGETS / "diff_target.py"), args[0], "30", *args[1:]],
        stdout=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    try:
        assert target.stdout is not None and target.stdout.readline().strip() == "ready"
        res = run_cli(
            "record", "--pid", str(target.pid), "--duration", str(seconds), "--name", name,
            "--no-counters", "--json", home=home,
        )  # fmt: skip
    finally:
        target.kill()
        target.wait()
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["windows"] >= seconds - 1, doc
    return int(doc["session"])


def diff_store(
    factory: pytest.TempPathFactory, names: tuple[str, ...] = tuple(SESSIONS)
) -> DiffStore:
    """A store holding the sessions ``names`` (of those above), each recorded on first use
    in this pytest run."""
    home = factory.getbasetemp() / "diff-recordings"
    home.mkdir(parents=True, exist_ok=True)
    ids = {}
    for name in names:
        done = home / f"{name}.id"
        if not done.exists():
            done.write_text(str(_record(home, name, *SESSIONS[name])), "utf-8")
        ids[name] = int(done.read_text("utf-8"))
    return DiffStore(home, ids)

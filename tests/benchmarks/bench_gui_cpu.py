"""The desktop app's own CPU while recording live at 100 Hz (offscreen), beside
headless `sovprof record` and one continuous py-spy on the same target.
Goal: the app's own process <= 15 % of a core.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from _common import (
    ROOT,
    env,
    own_cpu_while_running,
    pyspy_continuous,
    sovprof_record,
    start_target,
    verdict,
)

SECONDS = 15


def gui_cpu(pid: int) -> float:
    """Own CPU (fraction of a core) of `sovprof gui --pid` from 3 s in to the end."""
    e = env()
    e["QT_QPA_PLATFORM"] = "offscreen"
    shot = os.path.join(tempfile.mkdtemp(), "gui.png")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "gui", "--pid", str(pid), "--screenshot", shot,
         "--after", str(SECONDS)],
        env=e, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    own = own_cpu_while_running(proc, after_s=3.0, before_end_s=0.5)
    if proc.returncode not in (0, None):
        raise SystemExit(f"sovprof gui failed: {proc.stderr.read() if proc.stderr else ''}")
    return own


def main() -> None:
    target = start_target("ratio_70_30", "120")
    try:
        gui = gui_cpu(target.pid)
        _, headless = sovprof_record(target.pid, 10)
        _, pyspy = pyspy_continuous(target.pid, 10)
    finally:
        target.kill()
    print(f"{'process':<40} {'CPU % of one core':>18}")
    print(f"{'sovprof gui, live at 100 Hz (own)':<40} {100 * gui:>18.2f}")
    print(f"{'sovprof record, headless (own)':<40} {100 * headless:>18.2f}")
    print(f"{'one continuous py-spy record':<40} {100 * pyspy / 10:>18.2f}")
    print(
        f"app's own CPU while live: {100 * gui:.1f}% of a core (goal <= 15%) {verdict(gui <= 0.15)}"
    )


if __name__ == "__main__":
    main()

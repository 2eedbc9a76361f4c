"""What runs INSIDE a Dask worker, sent there with ``Client.run``.

Standard library only, and pickled by value (see ``register``): a worker on another
host needs py-spy there, but not sovprof.  ``record_window`` is a coroutine function,
so the worker awaits it on its event loop instead of blocking the loop for the whole
window; two calls may overlap, which is how consecutive windows are started back to
back.  Times are the worker's own clock (``time.time()``); the caller converts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from typing import Any

_WROTE = re.compile(r"Samples: (\d+) Errors: (\d+)")


def register() -> None:
    """Pickle this module's functions by value, so workers need not import it."""
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])


def identify() -> dict[str, Any]:
    """Who this worker process is, and where: enough to tell whether it runs on the
    caller's machine and in its pid namespace (then its pid can be traced from there)."""
    boot_id = ""
    with contextlib.suppress(OSError), open("/proc/sys/kernel/random/boot_id") as fh:
        boot_id = fh.read().strip()
    pidns = 0
    with contextlib.suppress(OSError):
        pidns = os.stat("/proc/self/ns/pid").st_ino
    return {
        "pid": os.getpid(),
        "hostname": socket.gethostname(),
        "boot_id": boot_id,
        "pidns": pidns,
        "time": time.time(),
        "python": sys.executable,
    }


def find_pyspy() -> str | None:
    """py-spy on this host: $SOVPROF_PYSPY, next to this Python, then on PATH."""
    exe = "py-spy.exe" if sys.platform == "win32" else "py-spy"
    candidates = [
        os.environ.get("SOVPROF_PYSPY"),
        os.path.join(os.path.dirname(sys.executable), exe),
        shutil.which(exe),
    ]
    for cand in candidates:
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


async def record_window(
    duration_s: int, flags: list[str], timeout_s: float = 30.0
) -> dict[str, Any]:
    """Run ``py-spy record`` on this very process for ``duration_s`` seconds.

    Returns the speedscope bytes and py-spy's own account (start, end, samples,
    errors, output), or ``{"error": ...}`` when py-spy cannot run here.
    """
    exe = find_pyspy()
    if exe is None:
        return {
            "error": f"py-spy not installed there (not next to {sys.executable} nor on PATH; "
            "pip install py-spy on that host, or set SOVPROF_PYSPY for the worker)"
        }
    pid = os.getpid()
    fd, out = tempfile.mkstemp(prefix="sovprof-win-", suffix=".json")
    os.close(fd)
    spawned = time.time()
    cmd = [exe, "record", "--pid", str(pid), "--duration", str(duration_s)]
    cmd += ["--format", "speedscope", "--output", out, *flags]
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(out)
        return {"error": f"cannot run py-spy there ({exe}): {exc.strerror or exc}"}
    marks: dict[str, float] = {}
    lines: list[str] = []

    async def read() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            if "started" not in marks and "Sampling process" in line:
                marks["started"] = time.time()
            if "stopped" not in marks and ("Wrote " in line or "Stopped sampling" in line):
                marks["stopped"] = time.time()
            lines.append(line)

    try:
        await asyncio.wait_for(asyncio.gather(read(), proc.wait()), timeout_s)
    except asyncio.TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
    reaped = time.time()
    text = "\n".join(lines)
    data: bytes | None = None
    try:
        with open(out, "rb") as fh:
            data = fh.read() or None
    except OSError:
        data = None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(out)
    m = _WROTE.search(text)
    return {
        "pid": pid,
        "spawned": spawned,
        "started": marks.get("started"),
        "ended": marks.get("stopped", reaped),
        "data": data if m is not None else None,
        "samples": int(m.group(1)) if m else 0,
        "errors": int(m.group(2)) if m else 0,
        "returncode": proc.returncode if proc.returncode is not None else -1,
        "output": text,
    }

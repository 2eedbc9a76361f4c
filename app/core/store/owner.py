"""Is the process that recorded a session still alive?

A session stays 'recording' in the file when its recorder dies without
finishing it (SIGKILL, power loss).  The store remembers the recorder's pid,
host and a start-time token, so a reused pid is not mistaken for the recorder.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path


def host_name() -> str:
    return socket.gethostname()


def process_token(pid: int) -> str | None:
    """A value that differs between two processes that had the same pid, or None.

    On Linux it is the start time from ``/proc/<pid>/stat``; elsewhere there is
    no cheap stdlib way, so pid reuse goes undetected there.
    """
    stat = _proc_stat(pid)
    return None if stat is None or len(stat) < 20 else stat[19]


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state first), or None."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces or ')'.
    return data[data.rfind(")") + 1 :].split()


def owner_alive(pid: int | None, host: str | None, token: str | None) -> bool:
    """Whether the recorder (pid, host, token) may still be running.

    Another host's process cannot be checked, so it counts as alive.
    """
    if pid is None or pid <= 0:
        return False
    if host and host != host_name():
        return True
    if not _pid_running(pid):
        return False
    stat = _proc_stat(pid)
    if stat is None:
        return True
    if stat and stat[0] in ("Z", "X"):
        return False
    return token is None or len(stat) < 20 or stat[19] == token


def _pid_running(pid: int) -> bool:
    if sys.platform == "win32":
        return _windows_pid_running(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to someone else
    except OSError:
        return False
    return True


def _windows_pid_running(pid: int) -> bool:
    # os.kill(pid, 0) would send CTRL_C_EVENT on Windows, so ask the kernel instead.
    if sys.platform != "win32":
        return False
    import ctypes

    query_limited_information, still_active = 0x1000, 259
    kernel32 = ctypes.windll.kernel32
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return kernel32.GetLastError() == 5  # access denied: it exists
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)

"""Many small write()/read() system calls on a temporary file, then exits.

``sys_io.py [SECONDS]``: prints "ready", then for SECONDS (default 60) writes
64 bytes and reads them back, over and over, in a Python loop (so py-spy sees
Python frames too), stats a missing file once per 100 rounds (a syscall that
fails), and exits with status 0.
"""

import contextlib
import os
import sys
import tempfile
import time


def write_some(fd: int, payload: bytes) -> None:
    os.write(fd, payload)


def read_some(fd: int, size: int) -> bytes:
    return os.read(fd, size)


def main(seconds: float) -> None:
    payload = b"x" * 64
    with tempfile.NamedTemporaryFile(prefix="sovprof-sys-io-") as fh:
        fd = fh.fileno()
        print("ready", flush=True)
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            for _ in range(100):
                os.lseek(fd, 0, os.SEEK_SET)
                write_some(fd, payload)
                os.lseek(fd, 0, os.SEEK_SET)
                read_some(fd, len(payload))
            # one failing call per 100 rounds: fills strace's "errors" column
            with contextlib.suppress(FileNotFoundError):
                os.stat("/nonexistent/sovprof-sys-io")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)

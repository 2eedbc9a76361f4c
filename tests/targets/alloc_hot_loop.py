"""Three kinds of work, side by side, so that only one is "allocation in a hot loop".

``build_buffers`` is hot and allocates a fresh bytearray and numpy array on every pass;
``crunch`` is hot but allocates nothing big; ``cold_reserve`` allocates large blocks
once in a while and costs almost no CPU.
"""

import sys
import time

import numpy as np


def build_buffers(n: int) -> int:
    total = 0
    for i in range(n):
        buf = bytearray(64 * 1024)  # a new 64 KiB block on every pass
        arr = np.empty(8192)  # and a new 64 KiB array
        row = [i] * 1024  # and a list whose 8 KiB item array is malloc'd
        buf[0] = i & 0xFF
        arr[0] = i
        total += buf[0] + int(arr[0]) + row[0]
    return total


def crunch(n: int) -> int:
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i) & 0xFFFF
    return acc


def cold_reserve() -> int:
    block = np.empty(8 << 20, dtype=np.uint8)  # 8 MiB, never touched: cheap in CPU
    return int(block.nbytes)


def main(seconds: float) -> None:
    print("ready", flush=True)
    end = time.monotonic() + seconds
    last_cold = 0.0
    passes = 0
    while time.monotonic() < end:
        build_buffers(500)
        crunch(40000)
        passes += 1
        if time.monotonic() - last_cold > 0.1:
            cold_reserve()
            last_cold = time.monotonic()
    print(f"passes {passes}", flush=True)  # throughput, for the overhead benchmark


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0)

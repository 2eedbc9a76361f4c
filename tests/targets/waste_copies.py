"""Moves data instead of computing on it: contiguous copies of transposed views,
``.copy()``, ``astype`` and ``tolist`` in a loop, with a little arithmetic between."""

import sys
import time

import numpy as np


def shuffle_layouts(a: np.ndarray) -> float:
    t = np.ascontiguousarray(a.T)  # a real copy: the transpose is not contiguous
    c = t.copy()
    f = c.astype(np.float32)
    rows = f[:64].tolist()
    return float(c[0, 0]) + len(rows)


def little_math(a: np.ndarray) -> float:
    return float(a[0, 0] * 2.0 + 1.0)


def main(seconds: float) -> None:
    a = np.random.default_rng(0).random((1024, 1024))
    print("ready", flush=True)
    end = time.monotonic() + seconds
    passes = 0
    while time.monotonic() < end:
        shuffle_layouts(a)
        little_math(a)
        passes += 1
    print(f"passes {passes}", flush=True)  # throughput, for the overhead benchmark


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0)

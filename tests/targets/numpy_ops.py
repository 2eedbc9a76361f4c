"""A program whose hot frames are numpy calls the bundled kernels implement.

Prints "ready", then loops: np.histogram (256 bins) most of the time, np.sum and
np.einsum (a matrix product) for the rest, until killed.
"""

from __future__ import annotations

import sys

import numpy as np


def analyse(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    counts, _ = np.histogram(x, bins=256, range=(0.0, 1.0))
    s = float(np.sum(x))
    c = np.einsum("ij,jk->ik", a, b)
    return s + float(counts[0]) + float(c[0, 0])


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.random(200_000, dtype=np.float32)
    a = rng.random((96, 96), dtype=np.float32)
    b = rng.random((96, 96), dtype=np.float32)
    print("ready", flush=True)
    total = 0.0
    while True:
        total += analyse(x, a, b)
        if total < 0:  # never: keeps the loop honest
            sys.exit(1)


if __name__ == "__main__":
    main()

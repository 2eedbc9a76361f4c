"""Kernels that misbehave on purpose, loaded through SOVPROF_EXTRA_KERNELS by the tests.

``crashy`` kills its worker with SIGSEGV at size 666 (a real segfault through ctypes);
``hangs`` sleeps forever at size 777; both behave at other sizes; ``wrong`` returns a
wrong answer at every size.
"""

from __future__ import annotations

import ctypes
import time
from typing import Any

import numpy as np

from kernels.spec import Arrays, KernelSpec, Setup


def _inputs(n: int, rng: np.random.Generator) -> Arrays:
    return (rng.random(n, dtype=np.float32),)


def _ref(x: np.ndarray) -> np.ndarray:
    return x * np.float32(2)


def _impl(crash_at: int, hang_at: int, wrong: bool) -> Any:
    def factory() -> tuple[Setup, list[Any]]:
        def setup(inputs: Arrays) -> Any:
            (x,) = inputs

            def call() -> np.ndarray:
                if x.size == crash_at:
                    ctypes.string_at(0)  # SIGSEGV
                if x.size == hang_at:
                    while True:
                        time.sleep(1)
                return x * np.float32(3 if wrong else 2)

            return call

        return setup, []

    return factory


def _spec(name: str, crash_at: int = -1, hang_at: int = -1, wrong: bool = False) -> KernelSpec:
    return KernelSpec(
        name=name,
        title=name,
        complexity="low",
        batuta_op="elementwise",
        size_meaning="elements",
        flops=lambda n: float(n),
        bytes_moved=lambda n: 8.0 * n,
        transfer_bytes=lambda n: 8.0 * n,
        make_inputs=_inputs,
        reference=_ref,
        numba=_impl(crash_at, hang_at, wrong),
        default_sizes=(100, 666, 777, 1000),
        test_sizes=(100,),
    )


SPEC = _spec("crashy", crash_at=666, hang_at=777)

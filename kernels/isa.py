"""The CPU's SIMD instruction-set levels and the numba settings that target each one.

numba reads ``NUMBA_CPU_NAME``, ``NUMBA_CPU_FEATURES`` and the vectorizer switches once
per process, so every CPU tier runs in its own worker process with the environment
returned by :func:`tier_env`.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from functools import lru_cache

#: Single-threaded libraries in every worker: a tier is one core's worth of work, and
#: numpy's BLAS line is measured on one thread too.
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "BLIS_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}


@dataclass(frozen=True)
class IsaLevel:
    tier: str  # tier id
    title: str
    #: CPU flags (as /proc/cpuinfo spells them) that must all be present
    needs: tuple[str, ...]
    #: numba environment for the worker
    env: tuple[tuple[str, str], ...]
    #: register class the packed arithmetic must reach ("" = none at all)
    width: str


X86_LEVELS: tuple[IsaLevel, ...] = (
    IsaLevel(
        "sse2", "SIMD SSE2 (x86-64 baseline)", ("sse2",), (("NUMBA_CPU_NAME", "generic"),), "xmm"
    ),
    IsaLevel(
        "avx2",
        "SIMD AVX2 (x86-64-v3)",
        ("avx2", "fma", "bmi2"),
        (("NUMBA_CPU_NAME", "x86-64-v3"), ("NUMBA_CPU_FEATURES", "")),
        "ymm",
    ),
    IsaLevel(
        "avx512",
        "SIMD AVX-512 (x86-64-v4)",
        ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"),
        (("NUMBA_CPU_NAME", "x86-64-v4"), ("NUMBA_CPU_FEATURES", "-prefer-256-bit")),
        "zmm",
    ),
)
ARM_LEVELS: tuple[IsaLevel, ...] = (
    IsaLevel("neon", "SIMD NEON (AArch64)", ("asimd",), (("NUMBA_CPU_NAME", "generic"),), "q"),
)
SCALAR = IsaLevel(
    "scalar",
    "Scalar (no vectorization)",
    (),
    (("NUMBA_LOOP_VECTORIZE", "0"), ("NUMBA_SLP_VECTORIZE", "0")),
    "",
)


def machine() -> str:
    m = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(m, m)


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as the OS reports them (so OS support is included)."""
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    flags.update(value.split())
                    break
    except OSError:
        pass
    if not flags:  # not Linux: ask LLVM (llvmlite comes with numba)
        try:
            from llvmlite import binding

            feats = binding.get_host_cpu_features()
            flags = {k.replace("avx512", "avx512") for k, on in feats.items() if on}
            if "neon" in flags:
                flags.add("asimd")
        except Exception:
            return frozenset()
    return frozenset(flags)


@lru_cache(maxsize=1)
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "Processor"):
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def levels_for_machine() -> tuple[IsaLevel, ...]:
    return X86_LEVELS if machine() == "x86_64" else ARM_LEVELS if machine() == "aarch64" else ()


def available_levels() -> list[IsaLevel]:
    """The SIMD levels this CPU has, lowest first."""
    flags = cpu_flags()
    return [lv for lv in levels_for_machine() if all(f in flags for f in lv.needs)]


def missing_flags(level: IsaLevel) -> list[str]:
    return [f for f in level.needs if f not in cpu_flags()]


def level(tier: str) -> IsaLevel | None:
    if tier == SCALAR.tier:
        return SCALAR
    for lv in (*X86_LEVELS, *ARM_LEVELS):
        if lv.tier == tier:
            return lv
    return None


def tier_env(tier: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The full environment for a worker that runs ``tier``."""
    env = dict(os.environ if base is None else base)
    for key in (
        "NUMBA_CPU_NAME",
        "NUMBA_CPU_FEATURES",
        "NUMBA_LOOP_VECTORIZE",
        "NUMBA_SLP_VECTORIZE",
        "NUMBA_OPT",
    ):
        env.pop(key, None)
    env.update(ONE_THREAD)
    lv = level(tier)
    if lv is not None:
        env.update(dict(lv.env))
    return env

"""The seed's rules of thumb, measured on this machine instead of taken on faith.

- **alignment**: "SIMD requires data alignment: unaligned loads on AVX-512 cost 2–3×".
  The streaming (saxpy) and dot kernels run on 64-byte-aligned arrays and on arrays
  deliberately misaligned by 4 bytes (the addresses are checked and reported), on every
  SIMD tier, cache-resident and memory-bound.
- **algorithm**: "fix the algorithm before the implementation". Counting the pairs
  closer than ε: O(n²) all pairs against O(n log n) sort-and-sweep, each in pure Python
  and in the fastest tier; where does pure-Python O(n log n) overtake SIMD O(n²)?
- **allocation**: "allocation is the silent killer". A hot loop that allocates its
  temporary every iteration against one that reuses a preallocated buffer, in numpy
  and in numba.

Every comparison is a ratio of medians with a bootstrap 95 % CI (kernels.stats), shown
beside the seed's claim with a verdict: held, did not hold, or partly.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import numpy as np

from kernels import isa, stats
from kernels.procs import run_json, worker_command

RULES = ("alignment", "algorithm", "allocation")
CLAIMS = {
    "alignment": "unaligned loads on AVX-512 cost 2–3×",
    "algorithm": "fix the algorithm before the implementation",
    "allocation": "allocation is the silent killer",
}
RULE_TIMEOUT_S = 300.0
EPS = 1e-4


@dataclass
class Comparison:
    """``slow`` against ``fast``: ratio = median(slow) / median(fast)."""

    rule: str
    tier: str
    case: str
    size: int
    fast: str
    slow: str
    fast_s: float
    slow_s: float
    ratio: float
    ci_low: float
    ci_high: float
    verdict: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- timing inside the worker ------------------------------------------------------


def _samples(fn: Callable[[], Any], budget_s: float, n: int = 15) -> list[float]:
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    iters = max(1, int(0.002 / one))
    n = max(5, min(n, int(budget_s / (one * iters)) or 5))
    out = []
    for _ in range(n):
        t = time.perf_counter()
        for _ in range(iters):
            fn()
        out.append((time.perf_counter() - t) / iters)
    return out


def aligned_view(n: int, offset: int, align: int = 64) -> np.ndarray:
    """float32[n] whose address is ``offset`` bytes past a multiple of ``align``."""
    raw = np.empty(n * 4 + 2 * align, dtype=np.uint8)
    start = (-raw.ctypes.data) % align + offset
    view = raw[start : start + n * 4].view(np.float32)
    assert view.ctypes.data % align == offset % align
    return view


# -- the rules, run inside a tier's worker -------------------------------------------


def _alignment(budget_s: float, quick: bool) -> list[dict[str, Any]]:
    import numba

    @numba.njit(fastmath=True, nogil=True, boundscheck=False)
    def saxpy(a: float, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
        for i in range(x.shape[0]):
            out[i] = a * x[i] + y[i]

    @numba.njit(fastmath=True, nogil=True, boundscheck=False)
    def dot(x: np.ndarray, y: np.ndarray) -> float:
        acc = np.float32(0.0)
        for i in range(x.shape[0]):
            acc += x[i] * y[i]
        return acc

    sizes = (4096, 1 << 20) if quick else (4096, 1 << 16, 1 << 22)
    out = []
    rng = np.random.default_rng(0)
    for n in sizes:
        arrays = {}
        for label, off in (("aligned", 0), ("misaligned", 4)):
            x, y, o = (aligned_view(n, off) for _ in range(3))
            x[:] = rng.random(n, dtype=np.float32)
            y[:] = rng.random(n, dtype=np.float32)
            arrays[label] = (x, y, o)
        for kernel in ("saxpy", "dot"):
            times = {}
            for label, (x, y, o) in arrays.items():
                if kernel == "saxpy":
                    times[label] = _samples(partial(saxpy, 2.5, x, y, o), budget_s)
                else:
                    times[label] = _samples(partial(dot, x, y), budget_s)
            addr = {k: [int(a.ctypes.data % 64) for a in v] for k, v in arrays.items()}
            out.append({"case": kernel, "size": n, "fast": "aligned", "slow": "misaligned",
                        "fast_samples": times["aligned"], "slow_samples": times["misaligned"],
                        "detail": {"address_mod_64": addr, "bytes": n * 4}})  # fmt: skip
    return out


def pairs_quadratic_py(x: list[float], eps: float) -> int:
    count = 0
    n = len(x)
    for i in range(n):
        xi = x[i]
        for j in range(i + 1, n):
            if abs(xi - x[j]) < eps:
                count += 1
    return count


def pairs_sorted_py(x: list[float], eps: float) -> int:
    s = sorted(x)
    count = 0
    lo = 0
    for hi in range(len(s)):
        while s[hi] - s[lo] >= eps:
            lo += 1
        count += hi - lo
    return count


def _algorithm(budget_s: float, quick: bool) -> list[dict[str, Any]]:
    import numba

    @numba.njit(fastmath=True, nogil=True, boundscheck=False)
    def quadratic(x: np.ndarray, eps: float) -> int:
        count = 0
        n = x.shape[0]
        for i in range(n):
            xi = x[i]
            for j in range(i + 1, n):
                count += 1 if abs(xi - x[j]) < eps else 0
        return count

    @numba.njit(nogil=True, boundscheck=False)
    def sweep(x: np.ndarray, eps: float) -> int:
        s = np.sort(x)
        count = 0
        lo = 0
        for hi in range(s.shape[0]):
            while s[hi] - s[lo] >= eps:
                lo += 1
            count += hi - lo
        return count

    sizes = (100, 1000, 4000) if quick else (100, 300, 1000, 3000, 10000, 30000)
    rng = np.random.default_rng(1)
    out = []
    for n in sizes:
        arr = rng.random(n)
        lst = arr.tolist()
        eps = 10.0 / n  # about 20 neighbours each, whatever n
        expect = pairs_sorted_py(lst, eps)
        variants: dict[str, Callable[[], int]] = {
            "python O(n log n)": partial(pairs_sorted_py, lst, eps),
            "simd O(n²)": partial(quadratic, arr, eps),
            "simd O(n log n)": partial(sweep, arr, eps),
        }
        if n <= 3000:  # pure-Python O(n²) beyond this takes seconds per call
            variants["python O(n²)"] = partial(pairs_quadratic_py, lst, eps)
        times = {}
        for name, fn in variants.items():
            got = fn()
            if got != expect:
                raise AssertionError(f"{name} counted {got} pairs, expected {expect}")
            times[name] = _samples(fn, budget_s, n=9)
        for fast, slow in (("python O(n log n)", "simd O(n²)"),
                           ("simd O(n log n)", "simd O(n²)"),
                           ("python O(n log n)", "python O(n²)")):  # fmt: skip
            if fast in times and slow in times:
                out.append({"case": f"{fast} vs {slow}", "size": n, "fast": fast, "slow": slow,
                            "fast_samples": times[fast], "slow_samples": times[slow],
                            "detail": {"pairs": expect, "eps": eps}})  # fmt: skip
    return out


def _allocation(budget_s: float, quick: bool) -> list[dict[str, Any]]:
    import numba

    @numba.njit(nogil=True, boundscheck=False)
    def alloc_loop(a: np.ndarray, b: np.ndarray, iters: int) -> float:
        total = 0.0
        for _ in range(iters):
            tmp = np.empty_like(a)  # a fresh temporary every iteration
            for i in range(a.shape[0]):
                tmp[i] = a[i] * b[i]
            total += tmp[0] + tmp[-1]
        return total

    @numba.njit(nogil=True, boundscheck=False)
    def reuse_loop(a: np.ndarray, b: np.ndarray, iters: int) -> float:
        total = 0.0
        tmp = np.empty_like(a)  # allocated once
        for _ in range(iters):
            for i in range(a.shape[0]):
                tmp[i] = a[i] * b[i]
            total += tmp[0] + tmp[-1]
        return total

    def numpy_alloc(a: np.ndarray, b: np.ndarray, iters: int) -> float:
        total = 0.0
        for _ in range(iters):
            tmp = a * b
            total += float(tmp[0])
        return total

    def numpy_reuse(a: np.ndarray, b: np.ndarray, iters: int) -> float:
        total = 0.0
        tmp = np.empty_like(a)
        for _ in range(iters):
            np.multiply(a, b, out=tmp)
            total += float(tmp[0])
        return total

    sizes = (64, 4096, 1 << 18) if quick else (64, 1024, 16384, 1 << 18, 1 << 21)
    rng = np.random.default_rng(2)
    out = []
    for n in sizes:
        a = rng.random(n, dtype=np.float32)
        b = rng.random(n, dtype=np.float32)
        iters = max(1, (1 << 20) // n)
        for impl, slow_fn, fast_fn in (("numpy", numpy_alloc, numpy_reuse),
                                       ("numba", alloc_loop, reuse_loop)):  # fmt: skip
            slow = _samples(partial(slow_fn, a, b, iters), budget_s)
            fast = _samples(partial(fast_fn, a, b, iters), budget_s)
            out.append({"case": f"{impl}: allocate per iteration vs reuse", "size": n,
                        "fast": "preallocated", "slow": "allocating",
                        "fast_samples": [t / iters for t in fast],
                        "slow_samples": [t / iters for t in slow],
                        "detail": {"iterations_per_call": iters, "bytes": n * 4}})  # fmt: skip
    return out


RUNNERS: dict[str, Callable[[float, bool], list[dict[str, Any]]]] = {
    "alignment": _alignment,
    "algorithm": _algorithm,
    "allocation": _allocation,
}


def run_in_worker(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Called by kernels.worker in the tier's process."""
    return RUNNERS[job["rule"]](float(job.get("budget_s", 0.3)), bool(job.get("quick")))


# -- the orchestrator --------------------------------------------------------------------


def verdict(rule: str, lo: float, hi: float, tier: str) -> str:
    if rule == "alignment":
        if tier != "avx512":
            return "reference (the claim is about AVX-512)"
        if lo >= 2.0 and hi <= 3.0:
            return "held"
        if hi < 2.0:
            return "did not hold" if hi < 1.2 else "partly (a penalty, below 2×)"
        return "held (more than 3×)" if lo > 3.0 else "partly"
    if rule == "algorithm":
        if lo > 1.01:
            return "the better algorithm wins"
        if hi < 0.99:
            return "the faster implementation wins at this size"
        return "a tie"
    if lo > 1.01:
        return "held"
    if hi < 0.99:
        return "no penalty here (allocating was faster)"
    return "no measurable difference"


def compare_row(rule: str, tier: str, row: dict[str, Any]) -> Comparison:
    cmp = stats.compare(row["fast_samples"], row["slow_samples"], noise_threshold=0.0)
    fast_s = float(np.median(row["fast_samples"]))
    slow_s = float(np.median(row["slow_samples"]))
    lo, hi = 1.0 + cmp.ci_low, 1.0 + cmp.ci_high
    return Comparison(rule, tier, row["case"], int(row["size"]), row["fast"], row["slow"],
                      fast_s, slow_s, slow_s / fast_s, lo, hi, verdict(rule, lo, hi, tier),
                      dict(row.get("detail") or {}))  # fmt: skip


def run_rule(rule: str, tier: str, quick: bool = False) -> tuple[list[Comparison], str | None]:
    job = {"mode": "rules", "rule": rule, "tier": tier, "quick": quick,
           "budget_s": 0.1 if quick else 0.4}  # fmt: skip
    events, problem = run_json(worker_command(), json.dumps(job), isa.tier_env(tier),
                               RULE_TIMEOUT_S)  # fmt: skip
    if problem is not None:
        return [], problem
    rows = next((e.get("rows") for e in events if e.get("event") == "rules"), None)
    if rows is None:
        return [], "the worker returned no result"
    return [compare_row(rule, tier, r) for r in rows], None


def plan(tiers: list[str] | None = None) -> list[tuple[str, str]]:
    """(rule, tier) pairs: alignment on every SIMD tier, the others on the widest."""
    simd = tiers or [lv.tier for lv in isa.available_levels()]
    top = simd[-1] if simd else "scalar"
    return [("alignment", t) for t in simd] + [("algorithm", top), ("allocation", top)]


def run_rules(
    tiers: list[str] | None = None,
    quick: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[list[Comparison], dict[str, str]]:
    todo = plan(tiers)
    results: list[Comparison] = []
    problems: dict[str, str] = {}
    for i, (rule, tier) in enumerate(todo):
        if progress is not None:
            progress(i, len(todo), f"{rule} on {tier}")
        rows, problem = run_rule(rule, tier, quick)
        if problem is not None:
            problems[f"{rule}/{tier}"] = problem
        results += rows
    if progress is not None:
        progress(len(todo), len(todo), "done")
    return results, problems


def summary(results: list[Comparison]) -> dict[str, str]:
    """One sentence per rule: what this machine says about the claim."""
    out: dict[str, str] = {}
    al = [r for r in results if r.rule == "alignment" and r.tier == "avx512"]
    if al:
        worst = max(al, key=lambda r: r.ratio)
        out["alignment"] = (
            f"misaligned AVX-512 loads cost at most {worst.ratio:.2f}× "
            f"[{worst.ci_low:.2f}, {worst.ci_high:.2f}] here ({worst.case}, n={worst.size:,}); "
            f"the seed claims 2–3×: {worst.verdict}"
        )
    alg = [r for r in results if r.rule == "algorithm" and r.fast == "python O(n log n)"
           and r.slow == "simd O(n²)"]  # fmt: skip
    if alg:
        wins = [r for r in alg if r.ci_low > 1.0]
        cross = min((r.size for r in wins), default=None)
        big = max(alg, key=lambda r: r.size)
        out["algorithm"] = (
            f"pure-Python O(n log n) overtakes SIMD O(n²) from n ≈ {cross:,}; at n={big.size:,} "
            f"it is {big.ratio:.1f}× faster" if cross is not None else
            f"SIMD O(n²) stays faster than pure-Python O(n log n) up to n={big.size:,}"
        )  # fmt: skip
    alloc = [r for r in results if r.rule == "allocation"]
    if alloc:
        worst = max(alloc, key=lambda r: r.ratio)
        out["allocation"] = (
            f"allocating in the hot loop costs up to {worst.ratio:.2f}× "
            f"[{worst.ci_low:.2f}, {worst.ci_high:.2f}] ({worst.case}, n={worst.size:,}): "
            f"{worst.verdict}"
        )
    return out


def _fmt_ratio(r: Comparison) -> str:
    return f"{r.ratio:.2f}× [{r.ci_low:.2f}, {r.ci_high:.2f}]" if math.isfinite(r.ratio) else "-"

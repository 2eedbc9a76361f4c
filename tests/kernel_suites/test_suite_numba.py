"""Every bundled kernel on every CPU tier, through the REAL worker processes.

One ``python -m kernels.worker`` per (kernel, tier), started with the tier's real numba
environment (:func:`kernels.isa.tier_env`) exactly as the runner starts it, at the
kernel's test sizes with a tiny timing budget; two run at a time. Checked: the result
matches numpy on every tier, and the assembly proves the tier — no packed arithmetic at
all in the scalar tier, exactly the tier's register width in each SIMD tier.

The microbenchmarks run in tier workers too (a small script in the tier's environment).
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from kernels import isa, suite
from sovprof_testing import ROOT, cli_env

KERNELS = list(suite.BUILTIN)
SIMD_TIERS = [lv.tier for lv in isa.available_levels()]
TIERS = ["scalar", *SIMD_TIERS, "numpy"]
JOB = {"samples": 3, "warmup_s": 0.01, "max_s_per_size": 0.05}
TIMEOUT_S = 180.0

MICROBENCH_SCRIPT = """
import json
from kernels import microbench
print(json.dumps({
    "copy": microbench.stream("copy", 256 * 1024, 0.05),
    "triad": microbench.stream("triad", 256 * 1024, 0.05),
    "triad_dram": microbench.stream("triad", 64 * 1024 * 1024, 0.05),
    "fma": microbench.fma_peak(0.05),
    "footprints": microbench.footprints(),
}))
"""


def tier_env(tier: str) -> dict[str, str]:
    return isa.tier_env(tier, cli_env())


def run_worker(kernel: str, tier: str) -> list[dict[str, Any]]:
    job = {"kernel": kernel, "tier": tier, "sizes": list(suite.get(kernel).test_sizes), **JOB}
    res = subprocess.run(
        [sys.executable, "-m", "kernels.worker"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=tier_env(tier),
        cwd=ROOT,
    )
    events = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert res.returncode == 0, f"{kernel}/{tier} worker failed: {events[-1:]} {res.stderr[-2000:]}"
    return events


def run_microbench(tier: str) -> dict[str, Any]:
    res = subprocess.run(
        [sys.executable, "-c", MICROBENCH_SCRIPT],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=tier_env(tier),
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    data: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return data


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, str], Any]:
    """All the worker runs (and the microbenchmarks, under key ("microbench", tier))."""
    bench_tiers = ["scalar", *SIMD_TIERS[-1:]]
    jobs: list[tuple[str, str]] = [(k, t) for k in KERNELS for t in TIERS]
    jobs += [("microbench", t) for t in bench_tiers]

    def one(job: tuple[str, str]) -> Any:
        kernel, tier = job
        return run_microbench(tier) if kernel == "microbench" else run_worker(kernel, tier)

    # the slowest (the matmul and scalar tiers compile the most) first
    jobs.sort(key=lambda j: (j[0] != "matmul", j[0] == "microbench"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(jobs, pool.map(one, jobs), strict=True))


def results(runs: dict[tuple[str, str], Any], kernel: str, tier: str) -> list[dict[str, Any]]:
    rows = [ev for ev in runs[(kernel, tier)] if ev.get("event") == "result"]
    assert [r["size"] for r in rows] == list(suite.get(kernel).test_sizes), rows
    return rows


def asm_of(runs: dict[tuple[str, str], Any], kernel: str, tier: str) -> dict[str, Any]:
    with_asm = [r for r in results(runs, kernel, tier) if "asm" in r]
    assert len(with_asm) == 1, f"{kernel}/{tier}: expected one asm report"
    asm: dict[str, Any] = with_asm[0]["asm"]
    return asm


def test_every_builtin_kernel_has_test_sizes() -> None:
    assert set(KERNELS) <= set(suite.names())
    for name in KERNELS:
        spec = suite.get(name)
        assert spec.test_sizes, name
        assert spec.default_sizes, name


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("kernel", KERNELS)
def test_correct_on_every_tier(runs: dict[tuple[str, str], Any], kernel: str, tier: str) -> None:
    for row in results(runs, kernel, tier):
        assert row.get("correct") is True, f"{kernel}/{tier} n={row['size']}: {row.get('error')}"
        assert row["samples"] and all(s > 0 for s in row["samples"])


@pytest.mark.parametrize("kernel", KERNELS)
def test_scalar_tier_has_no_packed_arithmetic(
    runs: dict[tuple[str, str], Any], kernel: str
) -> None:
    asm = asm_of(runs, kernel, "scalar")
    assert asm["problem"] is None, asm
    counts = asm["counts"]
    assert counts["xmm"] == counts["ymm"] == counts["zmm"] == counts["q"] == 0, counts
    assert counts["scalar_fp"] > 0, counts


@pytest.mark.parametrize("tier", SIMD_TIERS)
@pytest.mark.parametrize("kernel", KERNELS)
def test_simd_tier_reaches_exactly_its_width(
    runs: dict[tuple[str, str], Any], kernel: str, tier: str
) -> None:
    level = isa.level(tier)
    assert level is not None
    asm = asm_of(runs, kernel, tier)
    assert asm["problem"] is None, f"{kernel}/{tier}: {asm}"
    assert asm["effective_tier"] == tier
    assert asm["counts"][level.width] > 0, asm


@pytest.mark.parametrize("kernel", KERNELS)
def test_avx512_tier_uses_zmm(runs: dict[tuple[str, str], Any], kernel: str) -> None:
    if "avx512" not in SIMD_TIERS:
        pytest.skip("this CPU has no AVX-512")
    asm = asm_of(runs, kernel, "avx512")
    assert asm["counts"]["zmm"] > 0, asm
    assert asm["problem"] is None, asm


def test_numpy_tier_has_no_asm(runs: dict[tuple[str, str], Any]) -> None:
    for kernel in KERNELS:
        assert all("asm" not in r for r in results(runs, kernel, "numpy"))


def test_microbench_plausible(runs: dict[tuple[str, str], Any]) -> None:
    scalar = runs[("microbench", "scalar")]
    for data in [scalar] + ([runs[("microbench", SIMD_TIERS[-1])]] if SIMD_TIERS else []):
        for key in ("copy", "triad", "triad_dram"):
            # anything from a slow VM's DRAM to a wide core's L2
            assert 1e8 < data[key] < 1e13, (key, data)
        assert 1e8 < data["fma"] < 1e13, data
        fps = data["footprints"]
        assert fps == sorted(fps) and len(fps) >= 4 and fps[0] <= 64 * 1024, fps
    if "avx512" in SIMD_TIERS:
        wide = runs[("microbench", "avx512")]
        # 16 lanes against 1: even on a busy machine more than twice the scalar rate
        assert wide["fma"] > 2.0 * scalar["fma"], (wide["fma"], scalar["fma"])

"""The selector's policies pinned to their formulas, at and around every threshold."""

from __future__ import annotations

from typing import Any

import pytest

from kernels import selector
from kernels.selector import BatutaParams, Machine, decide

HERE = Machine.from_ids(["scalar", "sse2", "avx2", "avx512", "opencl:0:0", "dask"])
WITH_GPU = Machine.from_ids(["scalar", "avx512", "opencl:1:0", "dask"], gpu_ids=["opencl:1:0"])


def tier_class(policy: str, kernel: str, n: int, **params: float) -> str:
    return decide(policy, kernel, n, WITH_GPU, params=BatutaParams(**params)).tier_class


# -- batuta ---------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "expected"), [(1000, "simd"), (18750, "simd"), (18751, "gpu")])
def test_batuta_matmul_gpu_only_when_compute_beats_five_times_pcie(n: int, expected: str) -> None:
    # 2n³ / 20e12 > 5 · (3n²·4) / 32e9  ⇔  n > 18750
    assert tier_class("batuta", "matmul", n) == expected
    flops, nbytes = selector.batuta_cost(selector.suite.get("matmul"), n)
    assert flops == 2.0 * n**3 and nbytes == 3.0 * n * n * 4


def test_batuta_matmul_bytes_and_flops_exactly() -> None:
    d = decide("batuta", "matmul", 512, WITH_GPU)
    assert d.inputs["flops"] == 2 * 512**3
    assert d.inputs["bytes"] == (512 * 512 * 3) * 4
    assert d.inputs["gpu_compute_s"] == pytest.approx(2 * 512**3 / 20e12)
    assert d.inputs["pcie_transfer_s"] == pytest.approx(3 * 512 * 512 * 4 / 32e9)
    assert "GPU rejected" in d.reason and "5 × PCIe transfer" in d.reason


@pytest.mark.parametrize("n", [10, 10**6, 10**9])
def test_batuta_reductions_never_reach_the_gpu_with_its_constants(n: int) -> None:
    # 2n / 20e12 vs 5 · 12n / 32e9: the transfer always wins: batuta's own flaw
    assert tier_class("batuta", "dot", n) == "simd"
    d = decide("batuta", "dot", n, WITH_GPU)
    assert d.inputs["bytes"] == 3 * n * 4 and d.inputs["flops"] == 2 * n


def test_batuta_constants_are_settable() -> None:
    # a slow GPU over a fast link: 2/1e9 > 5 · 12 / 1e12 → GPU for reductions
    assert tier_class("batuta", "dot", 1000, gpu_flops=1e9, pcie_bw=1e12) == "gpu"
    # ratio: matmul n = 18751 flips back to SIMD when the ratio grows a little
    assert tier_class("batuta", "matmul", 18751, ratio=5.001) == "simd"
    assert tier_class("batuta", "matmul", 9376, pcie_bw=64e9) == "gpu"  # threshold halves
    assert tier_class("batuta", "matmul", 9375, pcie_bw=64e9) == "simd"


@pytest.mark.parametrize(
    ("n", "expected"), [(1, "scalar"), (1_000_000, "scalar"), (1_000_001, "simd"), (10**10, "simd")]
)
def test_batuta_elementwise_thresholds_and_never_gpu(n: int, expected: str) -> None:
    assert tier_class("batuta", "saxpy", n) == expected
    assert tier_class("batuta", "saxpy", n, gpu_flops=1e30, pcie_bw=1e30) == expected


# -- batuta-moe -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kernel", "n", "expected"),
    [
        ("saxpy", 1_000_000, "scalar"),  # low
        ("saxpy", 1_000_001, "simd"),
        ("saxpy", 10**12, "simd"),  # low never GPU
        ("dot", 10_000, "scalar"),  # medium
        ("dot", 10_001, "simd"),
        ("dot", 100_000, "simd"),
        ("dot", 100_001, "gpu"),
        ("matmul", 1_000, "scalar"),  # high
        ("matmul", 1_001, "simd"),
        ("matmul", 10_000, "simd"),
        ("matmul", 10_001, "gpu"),
    ],
)
def test_batuta_moe_thresholds_strictly_above(kernel: str, n: int, expected: str) -> None:
    assert tier_class("batuta-moe", kernel, n) == expected


# -- mapping to this machine ---------------------------------------------------------------


def test_classes_map_to_real_tiers_and_say_when_they_fall_back() -> None:
    d = decide("batuta-moe", "matmul", 20_000, HERE)
    assert d.tier_class == "gpu" and d.tier == "avx512"
    assert "no GPU here" in d.reason
    d = decide("batuta-moe", "matmul", 20_000, WITH_GPU)
    assert d.tier == "opencl:1:0"
    assert decide("batuta", "saxpy", 10, HERE).tier == "scalar"
    assert HERE.class_of("opencl:0:0") == "opencl"  # a CPU device is not a GPU
    assert WITH_GPU.class_of("opencl:1:0") == "gpu"
    assert HERE.tiers["opencl:0:0"] == "opencl-cpu"


# -- calibrated: the 5× rule on a given calibration ----------------------------------------


def _calibration(h2d: float = 10e9) -> dict[str, Any]:
    cpu_bw = {"triad": {str(1 << 30): 20e9}, "copy": {str(1 << 30): 20e9}}
    return {
        "tiers": {
            "scalar": {"peak_flops": 4e9, "bandwidth": cpu_bw, "call_overhead_s": 2e-7},
            "avx512": {"peak_flops": 100e9, "bandwidth": cpu_bw, "call_overhead_s": 2e-7},
            "opencl:1:0": {"peak_flops": 20e12, "device_bandwidth": 2e12, "h2d_bps": h2d,
                           "d2h_bps": h2d, "launch_s": 10e-6, "type": "GPU"},
        }
    }  # fmt: skip


def test_calibrated_picks_the_gpu_only_when_overhead_is_recouped_five_times() -> None:
    model = selector.CalibratedModel(_calibration(), [])
    big = decide("calibrated", "matmul", 4096, WITH_GPU, model)
    assert big.tier == "opencl:1:0", big.reason
    assert "≥ 5 × overhead" in big.reason
    small = decide("calibrated", "matmul", 64, WITH_GPU, model)
    assert small.tier == "avx512"
    assert "GPU rejected: compute saving" in small.rejected["opencl:1:0"]
    # streaming over PCIe never pays: saving < 5 × transfer
    dot = decide("calibrated", "dot", 1 << 26, WITH_GPU, model)
    assert dot.tier == "avx512" and "opencl:1:0" in dot.rejected
    # the same matmul over a 100× slower link is rejected
    slow = selector.CalibratedModel(_calibration(h2d=1e8), [])
    assert decide("calibrated", "matmul", 1024, WITH_GPU, slow).tier == "avx512"
    assert set(big.predicted) == {"scalar", "avx512", "opencl:1:0"}


def test_calibrated_uses_measured_efficiency_between_sizes() -> None:
    cells = [
        {"kernel": "dot", "tier": t, "size": n, "correct": True, "median_s": s}
        for t, n, s in [
            ("avx512", 1 << 12, 1e-6), ("avx512", 1 << 16, 8e-6), ("avx512", 1 << 20, 3e-4),
            ("scalar", 1 << 12, 4e-6), ("scalar", 1 << 16, 6e-5), ("scalar", 1 << 20, 1e-3),
        ]
    ]  # fmt: skip
    model = selector.CalibratedModel(_calibration(), cells)
    p = model.predict("dot", "avx512", 1 << 16)
    assert p is not None and p.total_s == pytest.approx(8e-6, rel=0.05)
    held_out = model.predict("dot", "avx512", 1 << 16, leave_out=1 << 16)
    assert held_out is not None and held_out.total_s != pytest.approx(8e-6, rel=0.01)
    assert "other sizes" in held_out.how


def test_unknown_policy_and_missing_model_are_clear() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        decide("fastest", "dot", 10, HERE)
    with pytest.raises(ValueError, match="needs a calibration"):
        decide("calibrated", "dot", 10, HERE)

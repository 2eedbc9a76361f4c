"""The rules-of-thumb suite: real misalignment, real algorithms, real allocations."""

from __future__ import annotations

import numpy as np
import pytest

from kernels import isa, rules


@pytest.mark.parametrize("offset", [0, 4, 8, 60])
def test_aligned_view_is_where_it_says(offset: int) -> None:
    v = rules.aligned_view(1000, offset)
    assert v.dtype == np.float32 and v.size == 1000
    assert v.ctypes.data % 64 == offset


def test_pair_counting_algorithms_agree() -> None:
    x = np.random.default_rng(3).random(500).tolist()
    assert rules.pairs_quadratic_py(x, 0.01) == rules.pairs_sorted_py(x, 0.01) > 0


def _widest() -> str:
    levels = isa.available_levels()
    if not levels:
        pytest.skip("no SIMD tier on this CPU")
    return levels[-1].tier


def test_misalignment_is_real_and_measured_with_a_ci() -> None:
    tier = _widest()
    results, problem = rules.run_rule("alignment", tier, quick=True)
    assert problem is None
    assert {r.case for r in results} == {"saxpy", "dot"}
    for r in results:
        addr = r.detail["address_mod_64"]
        assert set(addr["aligned"]) == {0} and set(addr["misaligned"]) == {4}
        assert r.ci_low <= r.ratio <= r.ci_high
        assert r.fast_s > 0 and r.slow_s > 0
    if tier == "avx512":
        assert all(r.verdict in ("held", "held (more than 3×)", "partly", "did not hold",
                                 "partly (a penalty, below 2×)") for r in results)  # fmt: skip


def test_algorithm_and_allocation_rules() -> None:
    tier = _widest()
    algo, problem = rules.run_rule("algorithm", tier, quick=True)
    assert problem is None
    big = [r for r in algo if r.fast == "simd O(n log n)" and r.slow == "simd O(n²)"]
    assert max(big, key=lambda r: r.size).ratio > 5  # n = 4000: the algorithm wins big
    alloc, problem = rules.run_rule("allocation", tier, quick=True)
    assert problem is None and len(alloc) == 6
    summary = rules.summary(algo + alloc)
    assert "overtakes" in summary["algorithm"] or "stays faster" in summary["algorithm"]
    assert "allocating in the hot loop" in summary["allocation"]

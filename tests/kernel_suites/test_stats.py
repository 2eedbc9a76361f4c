"""Criterion-style statistics on known distributions."""

from __future__ import annotations

import numpy as np
import pytest

from kernels import stats


def test_summary_median_ci_and_tukey_outliers() -> None:
    rng = np.random.default_rng(7)
    x = [*rng.normal(1.0, 0.01, 50), 1.2, 0.5]  # one high severe, one low severe
    s = stats.summarize(x)
    assert s.n == 52
    assert s.ci_low <= s.median <= s.ci_high
    assert s.ci_high - s.ci_low < 0.02
    assert s.outliers.high_severe == 1 and s.outliers.low_severe == 1
    assert stats.summarize([3.0]).ci_low == 3.0


@pytest.mark.parametrize(
    ("factor", "verdict"),
    [(0.9, "improved"), (1.1, "regressed"), (1.0, "no change"), (1.004, "no change")],
)
def test_comparison_verdicts(factor: float, verdict: str) -> None:
    rng = np.random.default_rng(11)
    base = rng.normal(1.0, 0.005, 40)
    new = rng.normal(1.0, 0.005, 40) * factor
    c = stats.compare(base, new)
    assert c.verdict == verdict, c.sentence()
    assert c.ci_low <= c.change <= c.ci_high
    assert c.sentence().startswith(verdict)


def test_a_tiny_significant_change_inside_the_noise_threshold_is_no_change() -> None:
    base = np.linspace(1.0, 1.001, 60)
    c = stats.compare(base, base * 1.005)  # +0.5 %: real but below the 1 % threshold
    assert c.p_value < 0.05
    assert c.verdict == "no change"
    assert "noise threshold" in c.sentence()


def test_empty_samples_are_refused() -> None:
    with pytest.raises(ValueError):
        stats.summarize([])
    with pytest.raises(ValueError):
        stats.compare([], [1.0])

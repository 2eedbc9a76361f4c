"""Welch's t-test and the t distribution, against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.core.welch import betainc, holm, t_quantile, t_two_sided_p, welch


def test_incomplete_beta_matches_its_closed_form() -> None:
    # I_x(2, 3) = sum_{j=2..4} C(4, j) x^j (1 - x)^(4 - j)
    for x in (0.05, 0.4, 0.77, 0.99):
        exact = sum(math.comb(4, j) * x**j * (1 - x) ** (4 - j) for j in range(2, 5))
        assert betainc(2, 3, x) == pytest.approx(exact, rel=1e-12)
    assert betainc(2, 3, 0.0) == 0.0 and betainc(2, 3, 1.0) == 1.0


@pytest.mark.parametrize("t", [0.1, 1.0, 2.5, 12.7, 300.0])
def test_t_tails_match_the_closed_forms(t: float) -> None:
    assert t_two_sided_p(t, 1) == pytest.approx(1 - 2 / math.pi * math.atan(t), rel=1e-9)
    assert t_two_sided_p(t, 2) == pytest.approx(1 - t / math.sqrt(2 + t * t), rel=1e-9)
    normal = math.erfc(t / math.sqrt(2))
    assert t_two_sided_p(t, 1e9) == pytest.approx(normal, rel=1e-4, abs=1e-300)


def test_t_quantiles() -> None:
    assert t_quantile(0.975, 6) == pytest.approx(2.446912, abs=1e-5)
    assert t_quantile(0.975, 1) == pytest.approx(12.706205, abs=1e-5)
    assert t_quantile(0.975, 1e9) == pytest.approx(1.959964, abs=1e-5)


def test_welch_against_a_hand_computation() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.5]
    t = welch(a, b)
    assert t is not None
    va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
    se = math.sqrt(va / 4 + vb / 4)
    df = se**4 / ((va / 4) ** 2 / 3 + (vb / 4) ** 2 / 3)
    assert t.delta == pytest.approx(1.125) and t.df == pytest.approx(df)
    assert t.p_value == pytest.approx(t_two_sided_p(1.125 / se, df))
    assert t.p_value == pytest.approx(0.2986, abs=1e-4)
    half = t_quantile(0.975, df) * se
    assert (t.ci_low, t.ci_high) == pytest.approx((1.125 - half, 1.125 + half))


def test_welch_edge_cases() -> None:
    assert welch([1.0], [2.0]) is None and welch([], [1.0, 2.0]) is None
    same = welch([0.5, 0.5, 0.5], [0.5, 0.5])
    assert same is not None and same.p_value == 1.0 and math.isinf(same.df)
    apart = welch([0.5, 0.5], [0.4, 0.4])
    assert apart is not None and apart.p_value == 0.0 and apart.delta == pytest.approx(-0.1)
    borrowed = welch([3.0], [1.0, 2.0, 3.0])  # one value borrows the other side's variance
    assert borrowed is not None and borrowed.df == 2


def test_holm() -> None:
    assert holm([0.01, None, 0.04, 0.03]) == pytest.approx([0.03, None, 0.06, 0.06])
    assert holm([]) == [] and holm([None]) == [None]
    assert holm([0.5, 0.9]) == [1.0, 1.0]  # capped at 1, never below an earlier rank

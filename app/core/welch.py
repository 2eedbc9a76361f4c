"""Welch's two-sample t-test, the t distribution it needs, and Holm's correction.

Plain Python and numpy (no scipy): the regularized incomplete beta function gives the
t distribution's tail, bisection its quantile.  Used by :mod:`app.core.diff` to test
per-window shares of two profiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

CONFIDENCE = 0.95


@dataclass(frozen=True)
class TTest:
    """``b`` against ``a``: the difference of means with its CI, and the two-sided p."""

    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                   -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):  # fmt: skip
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
        + b * math.log1p(-x)
    )  # fmt: skip
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom."""
    if not math.isfinite(t):
        return 0.0
    if df <= 0:
        return 1.0
    return min(1.0, max(0.0, betainc(df / 2.0, 0.5, df / (df + t * t))))


def _t_density(t: float, df: float) -> float:
    log = (
        math.lgamma((df + 1.0) / 2.0) - math.lgamma(df / 2.0) - 0.5 * math.log(df * math.pi)
        - (df + 1.0) / 2.0 * math.log1p(t * t / df)
    )  # fmt: skip
    return math.exp(log)


def t_quantile(q: float, df: float) -> float:
    """The ``q`` quantile (0.5 < q < 1) of Student's t: Newton's method on the tail,
    bisection where Newton would leave the bracket."""
    target = 2.0 * (1.0 - q)  # the two-sided tail at the answer
    lo, hi = 0.0, 1.0
    while t_two_sided_p(hi, df) > target and hi < 1e12:
        lo, hi = hi, hi * 2.0
    t = (lo + hi) / 2.0
    for _ in range(100):
        err = t_two_sided_p(t, df) - target
        if err > 0:
            lo = t
        else:
            hi = t
        slope = -2.0 * _t_density(t, df)
        step = t - err / slope if slope < 0 else (lo + hi) / 2.0
        t = step if lo < step < hi else (lo + hi) / 2.0
        if hi - lo < 1e-12 * max(1.0, hi) or abs(err) < 1e-15 * max(target, 1e-300):
            break
    return t


def welch(a: npt.ArrayLike, b: npt.ArrayLike, confidence: float = CONFIDENCE) -> TTest | None:
    """Welch's t-test of mean(b) − mean(a); None when neither side has two values.

    A side with a single value borrows the other side's variance (and its degrees
    of freedom).  With no variance at all the answer is exact: p is 1 for equal
    means and 0 otherwise.
    """
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.size == 0 or y.size == 0 or (x.size < 2 and y.size < 2):
        return None
    delta = float(y.mean() - x.mean())
    vx = float(x.var(ddof=1)) if x.size > 1 else float(y.var(ddof=1))
    vy = float(y.var(ddof=1)) if y.size > 1 else vx
    ex, ey = vx / x.size, vy / y.size
    se2 = ex + ey
    if se2 <= 0.0 or not math.isfinite(se2):
        return TTest(delta, delta, delta, 1.0 if delta == 0.0 else 0.0, math.inf)
    if x.size < 2:
        df = float(y.size - 1)
    elif y.size < 2:
        df = float(x.size - 1)
    else:
        df = se2 * se2 / (ex * ex / (x.size - 1) + ey * ey / (y.size - 1))
    se = math.sqrt(se2)
    half = t_quantile(0.5 + confidence / 2.0, df) * se
    return TTest(delta, delta - half, delta + half, t_two_sided_p(delta / se, df), df)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm–Bonferroni adjusted p-values (None stays None and is not counted)."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(tested)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out

"""Criterion-style statistics: median with a bootstrap CI, Tukey outliers, baselines.

A benchmark gives ``samples``: seconds per iteration, one per sample. The summary is
the median with a bootstrap 95 % confidence interval; outliers are classified with
Tukey's fences (1.5 and 3 IQR, as Criterion does). Comparing with a baseline bootstraps
the relative change of the medians and tests it with a two-sided permutation test; a
change is reported only when it is significant *and* outside the noise threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

CONFIDENCE = 0.95
NOISE_THRESHOLD = 0.01
SIGNIFICANCE = 0.05
RESAMPLES = 5000

Verdict = Literal["improved", "regressed", "no change"]


@dataclass(frozen=True)
class Outliers:
    low_severe: int = 0
    low_mild: int = 0
    high_mild: int = 0
    high_severe: int = 0

    @property
    def total(self) -> int:
        return self.low_severe + self.low_mild + self.high_mild + self.high_severe


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    mean: float
    std: float
    ci_low: float
    ci_high: float
    min: float
    max: float
    outliers: Outliers

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Comparison:
    """``new`` against ``base``: relative change of the median (+ = slower)."""

    change: float
    ci_low: float
    ci_high: float
    p_value: float
    verdict: Verdict
    noise_threshold: float
    significance: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def sentence(self) -> str:
        pct = (
            f"{self.change * 100:+.1f} % [{self.ci_low * 100:+.1f} %, {self.ci_high * 100:+.1f} %]"
        )
        if self.verdict == "no change":
            why = (
                f"p = {self.p_value:.2f}"
                if self.p_value >= self.significance
                else f"within the ±{self.noise_threshold * 100:g} % noise threshold"
            )
            return f"no change: {pct}, {why}"
        return f"{self.verdict}: {pct}, p = {self.p_value:.3f}"


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def bootstrap_median_ci(
    x: np.ndarray, confidence: float = CONFIDENCE, resamples: int = RESAMPLES
) -> tuple[float, float]:
    if x.size == 1:
        return float(x[0]), float(x[0])
    idx = _rng().integers(0, x.size, size=(resamples, x.size))
    medians = np.median(x[idx], axis=1)
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(medians, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def tukey(x: np.ndarray) -> Outliers:
    if x.size < 4:
        return Outliers()
    q1, q3 = np.quantile(x, [0.25, 0.75])
    iqr = q3 - q1
    lo_s, lo_m, hi_m, hi_s = q1 - 3 * iqr, q1 - 1.5 * iqr, q3 + 1.5 * iqr, q3 + 3 * iqr
    return Outliers(
        low_severe=int(np.count_nonzero(x < lo_s)),
        low_mild=int(np.count_nonzero((x >= lo_s) & (x < lo_m))),
        high_mild=int(np.count_nonzero((x > hi_m) & (x <= hi_s))),
        high_severe=int(np.count_nonzero(x > hi_s)),
    )


def summarize(samples: Sequence[float]) -> Summary:
    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0:
        raise ValueError("no samples")
    lo, hi = bootstrap_median_ci(x)
    return Summary(
        n=int(x.size),
        median=float(np.median(x)),
        mean=float(x.mean()),
        std=float(x.std(ddof=1)) if x.size > 1 else 0.0,
        ci_low=lo,
        ci_high=hi,
        min=float(x.min()),
        max=float(x.max()),
        outliers=tukey(x),
    )


def compare(
    base: Sequence[float],
    new: Sequence[float],
    noise_threshold: float = NOISE_THRESHOLD,
    significance: float = SIGNIFICANCE,
    resamples: int = RESAMPLES,
) -> Comparison:
    a = np.asarray(base, dtype=np.float64)
    b = np.asarray(new, dtype=np.float64)
    if a.size == 0 or b.size == 0:
        raise ValueError("no samples to compare")
    rng = _rng(1)
    change = float(np.median(b) / np.median(a) - 1.0)
    ia = rng.integers(0, a.size, size=(resamples, a.size))
    ib = rng.integers(0, b.size, size=(resamples, b.size))
    boot = np.median(b[ib], axis=1) / np.median(a[ia], axis=1) - 1.0
    alpha = (1.0 - CONFIDENCE) / 2.0
    lo, hi = (float(v) for v in np.quantile(boot, [alpha, 1.0 - alpha]))
    # permutation test of the difference of medians (two-sided)
    pooled = np.concatenate([a, b])
    observed = abs(float(np.median(b) - np.median(a)))
    perms = np.argsort(rng.random((resamples, pooled.size)), axis=1)
    shuffled = pooled[perms]
    diffs = np.abs(
        np.median(shuffled[:, a.size :], axis=1) - np.median(shuffled[:, : a.size], axis=1)
    )
    p = float((np.count_nonzero(diffs >= observed - 1e-15) + 1) / (resamples + 1))
    verdict: Verdict = "no change"
    if p < significance:  # Criterion's rule: the whole CI must clear the noise threshold
        if hi < -noise_threshold:
            verdict = "improved"
        elif lo > noise_threshold:
            verdict = "regressed"
    return Comparison(change, lo, hi, p, verdict, noise_threshold, significance)

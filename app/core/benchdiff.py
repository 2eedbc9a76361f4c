"""Benchmark runs compared cell by cell, in Criterion's terms.

Each (kernel, tier, size) cell of run B is compared with the same cell of run (or
baseline) A by :func:`kernels.stats.compare` on the raw timing samples: improved /
regressed / no change, with its 1 % noise threshold and 0.05 significance.  The
overall verdict is ``regressed`` when some cell regressed and none improved,
``improved`` the other way round, ``mixed`` when both happened, else ``no change``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kernels import stats

BenchVerdict = Literal["improved", "regressed", "no change", "mixed"]


@dataclass(frozen=True)
class CellChange:
    kernel: str
    tier: str
    size: int
    a_median_s: float | None
    b_median_s: float | None
    comparison: stats.Comparison | None
    note: str = ""

    @property
    def verdict(self) -> str:
        return self.comparison.verdict if self.comparison is not None else "not compared"

    def as_json(self) -> dict[str, Any]:
        return {
            "kernel": self.kernel,
            "tier": self.tier,
            "size": self.size,
            "a_median_s": self.a_median_s,
            "b_median_s": self.b_median_s,
            "verdict": self.verdict,
            "comparison": None if self.comparison is None else self.comparison.as_dict(),
            "note": self.note,
        }


@dataclass(frozen=True)
class BenchDiff:
    verdict: BenchVerdict
    sentence: str
    a_run: int
    b_run: int
    cells: list[CellChange]

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "bench",
            "verdict": self.verdict,
            "sentence": self.sentence,
            "a": {"run": self.a_run},
            "b": {"run": self.b_run},
            "noise_threshold": stats.NOISE_THRESHOLD,
            "significance": stats.SIGNIFICANCE,
            "cells": [c.as_json() for c in self.cells],
        }


def _cell_key(cell: dict[str, Any]) -> tuple[str, str, int]:
    return str(cell.get("kernel")), str(cell.get("tier")), int(cell.get("size") or 0)


def _median(cell: dict[str, Any] | None) -> float | None:
    value = None if cell is None else cell.get("median_s")
    return float(value) if isinstance(value, int | float) else None


def compare_bench_runs(
    a_run: int, a_cells: Sequence[dict[str, Any]], b_run: int, b_cells: Sequence[dict[str, Any]]
) -> BenchDiff:
    """Run ``b`` against run (or baseline) ``a``, cell by cell, on the raw samples."""
    a_by = {_cell_key(c): c for c in a_cells}
    b_by = {_cell_key(c): c for c in b_cells}
    out = []
    for key in sorted(set(a_by) | set(b_by)):
        ca, cb = a_by.get(key), b_by.get(key)
        sa = ca.get("samples") if ca else None
        sb = cb.get("samples") if cb else None
        comparison, note = None, ""
        if ca is None or cb is None:
            note = f"only in run {a_run if cb is None else b_run}"
        elif not sa or not sb:
            note = "no timing samples (the cell failed) in run " + (
                str(a_run) if not sa else str(b_run)
            )
        else:
            comparison = stats.compare([float(x) for x in sa], [float(x) for x in sb])
        out.append(CellChange(*key, _median(ca), _median(cb), comparison, note))
    verdict, sentence = _bench_overall(out)
    return BenchDiff(verdict, sentence, a_run, b_run, out)


def _bench_overall(cells: list[CellChange]) -> tuple[BenchVerdict, str]:
    compared = [c for c in cells if c.comparison is not None]
    worse = [c for c in compared if c.verdict == "regressed"]
    better = [c for c in compared if c.verdict == "improved"]
    verdict: BenchVerdict = (
        "mixed" if worse and better else
        "regressed" if worse else
        "improved" if better else "no change"
    )  # fmt: skip

    def named(cs: list[CellChange]) -> str:
        shown = ", ".join(
            f"{c.kernel}/{c.tier}/{c.size} {100 * c.comparison.change:+.1f} %"
            for c in cs[:3]
            if c.comparison is not None
        )
        return shown + (f" and {len(cs) - 3} more" if len(cs) > 3 else "")

    parts = [f"{len(worse)} of {len(compared)} cells regressed" + (f" ({named(worse)})" if worse
             else ""), f"{len(better)} improved" + (f" ({named(better)})" if better else ""),
             f"{len(compared) - len(worse) - len(better)} no change"]  # fmt: skip
    skipped = len(cells) - len(compared)
    if skipped:
        parts.append(f"{skipped} not compared")
    return verdict, f"{verdict}: " + ", ".join(parts)

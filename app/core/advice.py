"""Selector advice beside a profile: hot frames that are calls into a bundled kernel's op.

A frame is matched by its function name and file: numpy's Python-level wrappers
(``sum``, ``histogram``, ``tensordot``, ``einsum``…), scipy's ``softmax`` and stencil
filters, and — with ``--native`` — BLAS and numpy C loops (``sgemm``, ``sdot``,
``FLOAT_add``…). For each match the selector says which tier it would run that
operation on, by size range, under every policy that has what it needs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.core.model.calltree import FunctionRow, top_functions
from app.core.model.profile import Profile
from app.core.selector_display import machine_for
from kernels import suite
from kernels.selector import (
    BatutaParams,
    CalibratedModel,
    Decision,
    Machine,
    decide,
)


@dataclass(frozen=True)
class Pattern:
    kernel: str
    function: re.Pattern[str]
    #: the file must match (empty: any file, e.g. native frames)
    file: re.Pattern[str] | None = None


_NP = re.compile(r"(^|[/\\])(numpy|scipy)[/\\]")
PATTERNS: tuple[Pattern, ...] = (
    # numpy / scipy Python-level wrappers
    Pattern("matmul", re.compile(r"^(matmul|__matmul__|tensordot|einsum|inner|vdot|dot)$"), _NP),
    Pattern("sum", re.compile(r"^(sum|_sum|nansum)$"), _NP),
    Pattern("histogram", re.compile(r"^(histogram|histogram_bin_edges|bincount)$"), _NP),
    Pattern("softmax", re.compile(r"^(softmax|log_softmax)$"), _NP),
    Pattern(
        "stencil", re.compile(r"^(convolve2d|convolve|correlate|laplace|uniform_filter)$"), _NP
    ),
    # native frames (py-spy --native): BLAS and numpy's inner loops
    Pattern("matmul", re.compile(r"(^|_)[sdcz]gemm|gemm_kernel|cblas_[sd]gemm|FLOAT_matmul")),
    Pattern("dot", re.compile(r"cblas_[sd]dot|(^|_)[sd]dot_k|(FLOAT|DOUBLE)_dot\b")),
    Pattern("saxpy", re.compile(r"cblas_[sd]axpy|(^|_)[sd]axpy_k|(FLOAT|DOUBLE)_(add|multiply)\b")),
    Pattern("sum", re.compile(r"(FLOAT|DOUBLE)_(add|pairwise_sum)\b|pairwise_sum")),
)


@dataclass
class Range:
    """Sizes ``low``..``high`` (inclusive, benchmark grid points) all go to ``tier``."""

    tier: str
    low: int
    high: int


@dataclass
class Advice:
    function: str
    file: str
    kernel: str
    self_share: float
    total_share: float
    #: policy -> size ranges and the tier each picks
    ranges: dict[str, list[Range]] = field(default_factory=dict)
    #: policy -> the decision at the largest size, for its sentence
    example: dict[str, Decision] = field(default_factory=dict)

    def sentence(self) -> str:
        parts = []
        for policy, ranges in self.ranges.items():
            text = ", ".join(
                f"{r.tier} for n ≤ {r.high:,}" if i < len(ranges) - 1 else
                (f"{r.tier} from n = {r.low:,}" if i else f"{r.tier} at every size")
                for i, r in enumerate(ranges)
            )  # fmt: skip
            parts.append(f"{policy}: {text}")
        title = suite.get(self.kernel).title
        return f"{self.function} is a {title} ({self.kernel}); " + "; ".join(parts)


def match(row: FunctionRow) -> str | None:
    """The bundled kernel this function is a call into, or None."""
    for p in PATTERNS:
        if p.function.search(row.function) and (p.file is None or p.file.search(row.file or "")):
            return p.kernel
    return None


def _ranges(decisions: Sequence[tuple[int, Decision]]) -> list[Range]:
    out: list[Range] = []
    for n, d in decisions:
        tier = d.tier or "-"
        if out and out[-1].tier == tier:
            out[-1].high = n
        else:
            out.append(Range(tier, n, n))
    return out


def advice_for_row(
    row: FunctionRow, model: CalibratedModel | None, total_samples: int
) -> str | None:
    """One function's advice sentence, or None when it is no kernel's operation."""
    kernel = match(row)
    if kernel is None:
        return None
    return _advice(row, kernel, model, machine_for(model), total_samples, None).sentence()


def _advice(
    row: FunctionRow,
    kernel: str,
    model: CalibratedModel | None,
    machine: Machine,
    total: int,
    params: BatutaParams | None,
) -> Advice:
    spec = suite.get(kernel)
    have_data = model is not None and bool(model.cells or model.tiers())
    policies = ["batuta", "batuta-moe"] + (["calibrated"] if have_data else [])
    sizes = sorted({int(c["size"]) for c in (model.cells if model else [])
                    if c["kernel"] == kernel}) or list(spec.default_sizes)  # fmt: skip
    total = total or 1
    adv = Advice(row.function, row.file or "", kernel, row.self_samples / total,
                 row.total_samples / total)  # fmt: skip
    for policy in policies:
        decisions = [(n, decide(policy, kernel, n, machine, model, params)) for n in sizes]
        adv.ranges[policy] = _ranges(decisions)
        adv.example[policy] = decisions[-1][1]
    return adv


def advise(
    profile: Profile,
    model: CalibratedModel | None,
    machine: Machine,
    min_share: float = 0.01,
    params: BatutaParams | None = None,
) -> list[Advice]:
    """Advice for every function with at least ``min_share`` of the samples."""
    total = profile.total_samples or 1
    out: list[Advice] = []
    for row in top_functions(profile):
        if row.total_samples / total < min_share:
            continue
        kernel = match(row)
        if kernel is not None:
            out.append(_advice(row, kernel, model, machine, total, params))
    return out

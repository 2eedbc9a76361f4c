"""The assembly analyser on hand-written x86-64 and AArch64 snippets."""

from __future__ import annotations

from kernels.asm import analyse, verdict

ZMM = """
    vmovups (%rdi,%rax,4), %zmm1
    vfmadd231ps (%rsi,%rax,4), %zmm1, %zmm0
    vaddps %zmm2, %zmm0, %zmm0
    vextractf64x4 $1, %zmm0, %ymm1
    vaddps %xmm1, %xmm0, %xmm0
"""
SCALAR = """
    vxorps %xmm0, %xmm0, %xmm0
    vmovss (%rdi), %xmm1
    vfmadd231ss (%rsi), %xmm1, %xmm0
    vmovups %ymm0, (%rsp)
"""
INTEL = """
    vaddps ymm0, ymm1, ymmword ptr [rdi]
    vpaddd ymm2, ymm2, ymm3
"""
NEON = """
    ldr q1, [x0]
    fmla v0.4s, v1.4s, v2.4s
"""


def test_counts_packed_arithmetic_by_register_class() -> None:
    p = analyse(ZMM)
    assert (p.zmm, p.ymm, p.xmm) == (2, 0, 1)
    assert p.widest == "zmm"
    assert verdict(p, "zmm") is None
    assert "wider" in (verdict(p, "ymm") or "")


def test_moves_and_zeroing_are_not_vectorization() -> None:
    p = analyse(SCALAR)
    assert p.packed == 0
    assert p.scalar_fp == 1
    assert verdict(p, "") is None
    assert "not vectorized" in (verdict(p, "zmm") or "")


def test_intel_syntax_and_integer_ops() -> None:
    p = analyse(INTEL)
    assert p.ymm == 2
    assert "only to ymm" in (verdict(p, "zmm") or "")


def test_neon() -> None:
    p = analyse(NEON)
    assert p.q == 1
    assert verdict(p, "q") is None

"""Proof that a SIMD tier is what it claims: count packed vector arithmetic by register.

Moves, shuffles, logic ops and conversions are left out on purpose: compilers use
full-width moves to copy structs, ``xorps reg, reg`` to zero scalars and a packed
``cvttps2dq``/``cvtdq2ps`` pair to round one scalar, so only arithmetic tells whether the
loop itself was vectorized.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REG = re.compile(r"%?\b([xyz]mm)\d+\b")
_NEON_Q = re.compile(r"\bv\d+\.(?:4s|2d|8h|16b|2s|4h|8b)\b")
# packed floating point arithmetic: vaddps, vfmadd231ps, mulpd, vcvtdq2ps, vmaxps, ...
_PACKED_FP = re.compile(
    r"^v?(?:add|sub|mul|div|min|max|sqrt|rcp(?:14|28)?|rsqrt(?:14|28)?|hadd|hsub|dp|round|"
    r"rndscale|scalef|getexp|f(?:n)?m(?:add|sub)(?:sub|add)?(?:132|213|231))(?:ps|pd|ph)?$"
)
# packed integer arithmetic: vpaddd, vpmulld, vpmaddwd, vpsubq, vpminsd, ...
_PACKED_INT = re.compile(r"^v?p(?:add|sub|mull|mulh|muludq|muldq|madd|min|max|abs|sad|avg)[a-z]*$")
_SCALAR_SUFFIX = re.compile(r"(?:ss|sd|sh)$")


@dataclass(frozen=True)
class AsmProfile:
    """Packed arithmetic instruction counts per register class."""

    xmm: int = 0
    ymm: int = 0
    zmm: int = 0
    q: int = 0  # NEON 128-bit
    scalar_fp: int = 0  # scalar SSE/AVX arithmetic (…ss / …sd)

    @property
    def widest(self) -> str:
        for reg in ("zmm", "ymm", "xmm", "q"):
            if getattr(self, reg):
                return reg
        return ""

    @property
    def packed(self) -> int:
        return self.xmm + self.ymm + self.zmm + self.q

    def as_dict(self) -> dict[str, int]:
        return {
            "xmm": self.xmm,
            "ymm": self.ymm,
            "zmm": self.zmm,
            "q": self.q,
            "scalar_fp": self.scalar_fp,
        }

    def __add__(self, other: AsmProfile) -> AsmProfile:
        return AsmProfile(
            self.xmm + other.xmm,
            self.ymm + other.ymm,
            self.zmm + other.zmm,
            self.q + other.q,
            self.scalar_fp + other.scalar_fp,
        )


def _instructions(text: str) -> list[tuple[str, str]]:
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].split("//", 1)[0].strip()
        if not line or line.startswith(".") or line.endswith(":"):
            continue
        parts = line.split(None, 1)
        mnemonic, operands = parts[0], (parts[1] if len(parts) > 1 else "")
        if mnemonic.startswith("{"):  # EVEX prefix annotations
            continue
        out.append((mnemonic.lower(), operands))
    return out


def analyse(text: str) -> AsmProfile:
    """Count packed arithmetic in x86-64 (AT&T or Intel syntax) or AArch64 assembly."""
    counts = {"xmm": 0, "ymm": 0, "zmm": 0, "q": 0, "scalar_fp": 0}
    for mnemonic, operands in _instructions(text):
        regs = _REG.findall(operands)
        if regs:
            base = mnemonic.split("{", 1)[0]
            if _SCALAR_SUFFIX.search(base) and not base.startswith(("vp", "p")):
                if _PACKED_FP.match(base[:-2] + "ps") or base.startswith(("vcvt", "cvt")):
                    counts["scalar_fp"] += 1
                continue
            if _PACKED_FP.match(base) or _PACKED_INT.match(base):
                widest = max(regs, key=lambda r: "xyz".index(r[0]))
                counts[widest] += 1
            continue
        if _NEON_Q.search(operands) and mnemonic.startswith(
            ("fadd", "fmul", "fmla", "fsub", "fdiv", "fmax", "fmin", "add", "mul", "mla", "sub")
        ):
            counts["q"] += 1
    return AsmProfile(**counts)


def verdict(profile: AsmProfile, expected: str) -> str | None:
    """None when the code reaches the expected width, else the reason it does not."""
    if expected == "":
        if profile.packed:
            return (
                f"scalar tier contains packed arithmetic "
                f"(xmm {profile.xmm}, ymm {profile.ymm}, zmm {profile.zmm})"
            )
        return None
    order = ["xmm", "ymm", "zmm"] if expected != "q" else ["q"]
    widest = profile.widest
    if not widest:
        return f"not vectorized: no packed arithmetic (expected {expected})"
    if widest not in order or order.index(widest) < order.index(expected):
        return f"vectorized only to {widest}, expected {expected}"
    if order.index(widest) > order.index(expected):
        return f"uses {widest}, wider than this tier's {expected}"
    return None

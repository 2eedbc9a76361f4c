"""A kernel that returns a wrong answer (loaded through SOVPROF_EXTRA_KERNELS)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from kernels_faulty import _spec

SPEC = _spec("wrong", wrong=True)

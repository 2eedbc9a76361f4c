"""Host code of the suite's kernels on one OpenCL device.

:func:`setup_for` returns a :data:`kernels.spec.Setup`; the call it builds runs the
kernel end to end, as a user holding numpy arrays would: host→device copies of the
inputs, the kernel launch(es), the device→host copy of the result. Each call records
the profiling-event durations of those three phases (``h2d_s``, ``kernel_s``,
``d2h_s``); :meth:`Call.phases` hands them to the worker, and :attr:`Call.info` says
which device ran and with which work-group size.

The device code is GPU-shaped (coalesced grid-stride loops, local-memory tiles, a
work-group per softmax row). A CPU device runs a work-group's work-items one after
another, so there the programs are built with ``-DCHUNKED`` and some kernels switch to
CPU-shaped variants (a contiguous chunk per work-item, float16 vectors); see
:func:`chunked` for the override the tests use to check the GPU code on a CPU.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from kernels import opencl
from kernels.spec import Arrays, Result, Setup

if TYPE_CHECKING:
    import pyopencl as cl

PHASES = ("h2d_s", "kernel_s", "d2h_s")
ACCESS_ENV = "SOVPROF_OPENCL_ACCESS"
#: work-group size the 1-D kernels ask for (less when the device or kernel cannot)
WANT_WG = 256
#: a reduction's work-item adds at least this many elements before the tree
MIN_ITEMS_PER_WORK_ITEM = 8
#: work-groups per compute unit a grid-strided kernel launches at most
GROUPS_PER_CU = {"CPU": 8, "GPU": 64}


def _round_up(n: int, m: int) -> int:
    return -(-n // m) * m


def _f32(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


class Call:
    """One end-to-end run of a kernel; records per-phase device times of every call."""

    def __init__(
        self, queue: cl.CommandQueue, body: Callable[[Call], Result], info: dict[str, Any]
    ) -> None:
        import pyopencl

        self._cl = pyopencl
        self.queue = queue
        self._body = body
        self.info = info
        self._events: dict[str, list[Any]] = {p: [] for p in PHASES}
        self._phases: dict[str, list[float]] = {p: [] for p in PHASES}

    def h2d(self, dst: cl.Buffer, src: np.ndarray) -> None:
        ev = self._cl.enqueue_copy(self.queue, dst, src, is_blocking=False)
        self._events["h2d_s"].append(ev)

    def launch(
        self, kernel: cl.Kernel, global_size: tuple[int, ...], local_size: tuple[int, ...]
    ) -> None:
        ev = self._cl.enqueue_nd_range_kernel(self.queue, kernel, global_size, local_size)
        self._events["kernel_s"].append(ev)

    def d2h(self, dst: np.ndarray, src: cl.Buffer) -> None:
        ev = self._cl.enqueue_copy(self.queue, dst, src, is_blocking=False)
        self._events["d2h_s"].append(ev)

    def __call__(self) -> Result:
        for events in self._events.values():
            events.clear()
        result = self._body(self)
        self.queue.finish()
        for phase, events in self._events.items():
            ns = sum(ev.profile.end - ev.profile.start for ev in events)
            self._phases[phase].append(ns * 1e-9)
        return result

    def phases(self, reset: bool = False) -> dict[str, list[float]]:
        """Seconds per phase of every call so far; ``reset`` forgets them."""
        out = {p: list(v) for p, v in self._phases.items()}
        if reset:
            for v in self._phases.values():
                v.clear()
        return out


@dataclass
class Env:
    """A tier's device, queue and the kernel's built program."""

    tier: str
    kernel_name: str
    ctx: cl.Context
    queue: cl.CommandQueue
    device: cl.Device
    program: cl.Program
    props: dict[str, Any]
    build_s: float

    @property
    def kind(self) -> str:
        return str(self.props["type"])

    @property
    def access(self) -> str:
        """How grid-strided kernels walk their input (see build_options)."""
        if chunked(self.kind):
            return "contiguous chunk per work-item"
        return "grid-stride (coalesced)"

    @property
    def compute_units(self) -> int:
        return max(1, int(self.props["compute_units"]))

    def kernel(self, name: str) -> cl.Kernel:
        import pyopencl

        return pyopencl.Kernel(self.program, name)

    def max_wg(self, kernel: cl.Kernel) -> int:
        import pyopencl

        info = pyopencl.kernel_work_group_info.WORK_GROUP_SIZE
        limits: list[int] = [int(cast(int, kernel.get_work_group_info(info, self.device)))]
        limits.append(int(self.props["max_work_group_size"]) or WANT_WG)
        with contextlib.suppress(Exception):
            limits.append(int(self.device.max_work_item_sizes[0]))
        return max(1, min(limits))

    def wg(self, kernel: cl.Kernel, want: int = WANT_WG) -> int:
        """The largest power of two <= ``want`` the kernel can run per work-group."""
        cap = min(want, self.max_wg(kernel))
        return 1 << (cap.bit_length() - 1)

    def groups(self, n: int, wg: int) -> int:
        """Work-groups for a grid-strided kernel over ``n`` elements."""
        most = self.compute_units * GROUPS_PER_CU.get(self.kind, 64)
        return max(1, min(most, math.ceil(n / (wg * MIN_ITEMS_PER_WORK_ITEM))))

    def buffer(self, nbytes: int, read_only: bool = False, write_only: bool = False) -> cl.Buffer:
        import pyopencl

        mf = pyopencl.mem_flags
        flags = mf.READ_ONLY if read_only else mf.WRITE_ONLY if write_only else mf.READ_WRITE
        return pyopencl.Buffer(self.ctx, flags, size=max(int(nbytes), 4))

    def local(self, nbytes: int) -> Any:
        """A ``__local`` kernel argument (typed Any: pyopencl's stubs omit it from set_args)."""
        import pyopencl

        return pyopencl.LocalMemory(int(nbytes))

    def info(self, **extra: Any) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "device": self.props["device"],
            "platform": self.props.get("platform", ""),
            "device_type": self.kind,
            "compute_units": self.props["compute_units"],
            "max_clock_mhz": self.props["max_clock_mhz"],
            "driver_version": self.props["driver_version"],
            "host_unified_memory": self.props["host_unified_memory"],
            "build_s": self.build_s,
            **extra,
        }


# --------------------------------------------------------------------------- kernels


def _saxpy(env: Env) -> Setup:
    from kernels.suite.saxpy import ALPHA

    def setup(inputs: Arrays) -> Call:
        x, y = (_f32(a) for a in inputs)
        n = x.size
        k = env.kernel("saxpy")
        wg = env.wg(k)
        dx, dy = env.buffer(x.nbytes, read_only=True), env.buffer(y.nbytes, read_only=True)
        dout = env.buffer(x.nbytes, write_only=True)
        out = np.empty_like(x)
        k.set_args(np.float32(ALPHA), dx, dy, dout, np.uint32(n))
        gsize = _round_up(n, wg)

        def body(c: Call) -> np.ndarray:
            c.h2d(dx, x)
            c.h2d(dy, y)
            c.launch(k, (gsize,), (wg,))
            c.d2h(out, dout)
            return out

        return Call(env.queue, body, env.info(work_group_size=wg, global_size=gsize))

    return setup


def _reduction(env: Env, kernel_name: str, n_inputs: int) -> Setup:
    def setup(inputs: Arrays) -> Call:
        xs = [_f32(a) for a in inputs[:n_inputs]]
        n = xs[0].size
        k = env.kernel(kernel_name)
        wg = env.wg(k)
        groups = env.groups(n, wg)
        dxs = [env.buffer(a.nbytes, read_only=True) for a in xs]
        dpart = env.buffer(4 * groups, write_only=True)
        part = np.empty(groups, dtype=np.float32)
        k.set_args(*dxs, np.uint32(n), dpart, env.local(4 * wg))

        def body(c: Call) -> np.float32:
            for d, a in zip(dxs, xs, strict=True):
                c.h2d(d, a)
            c.launch(k, (groups * wg,), (wg,))
            c.d2h(part, dpart)
            c.queue.finish()
            return cast(np.float32, np.float32(part.sum(dtype=np.float64)))

        return Call(
            env.queue,
            body,
            env.info(
                work_group_size=wg,
                work_groups=groups,
                access=env.access,
                host_final_sum_of=groups,
            ),
        )

    return setup


def _sum(env: Env) -> Setup:
    return _reduction(env, "sum_partial", 1)


def _dot(env: Env) -> Setup:
    return _reduction(env, "dot_partial", 2)


MATMUL_TILE = 64  # matmul.cl: TS
MATMUL_WG = 16  # matmul.cl: WG
MATMUL_ROWS = 8  # matmul.cl: CR
MATMUL_COLS = 16  # matmul.cl: CW


def _matmul(env: Env) -> Setup:
    def setup(inputs: Arrays) -> Call:
        a, b = (_f32(m) for m in inputs)
        n = a.shape[0]
        tiled = env.kernel("matmul_tiled")
        if chunked(env.kind):
            k, variant = env.kernel("matmul_rows"), "rows: 8x16 block of C per work-item"
            lsize = (1, 16)
            gsize = (-(-n // MATMUL_COLS), _round_up(-(-n // MATMUL_ROWS), lsize[1]))
        elif env.max_wg(tiled) >= MATMUL_WG * MATMUL_WG:
            k, variant = tiled, "tiled 64x64, 16x16 work-items, 4x4 per work-item"
            side = -(-n // MATMUL_TILE) * MATMUL_WG
            gsize, lsize = (side, side), (MATMUL_WG, MATMUL_WG)
        else:
            k, variant = env.kernel("matmul_simple"), "simple (one element per work-item)"
            wg = env.wg(k, 64)
            w0 = min(wg, 8)
            w1 = max(1, wg // w0)
            gsize, lsize = (_round_up(n, w0), _round_up(n, w1)), (w0, w1)
        da, db = env.buffer(a.nbytes, read_only=True), env.buffer(b.nbytes, read_only=True)
        dc = env.buffer(a.nbytes, write_only=True)
        out = np.empty((n, n), dtype=np.float32)
        k.set_args(da, db, dc, np.uint32(n))

        def body(c: Call) -> np.ndarray:
            c.h2d(da, a)
            c.h2d(db, b)
            c.launch(k, gsize, lsize)
            c.d2h(out, dc)
            return out

        return Call(
            env.queue,
            body,
            env.info(
                work_group_size=lsize[0] * lsize[1],
                local_size=list(lsize),
                global_size=list(gsize),
                variant=variant,
            ),
        )

    return setup


#: work-items per row: each walks 256/wg columns, then the local-memory trees. Measured
#: at 2^24 elements: PoCL CPU 32 is ~2.5x faster than 256; H100 64 is 2.2x faster than
#: 256 (75 vs 167 us) and ~1.3x faster than 32 or 128.
SOFTMAX_WG_CPU = 32
SOFTMAX_WG_GPU = 64
#: CPU (softmax_rows16): rows per work-group, one work-item each
SOFTMAX_ROWS_PER_GROUP_CPU = 16


def _softmax(env: Env) -> Setup:
    def setup(inputs: Arrays) -> Call:
        x = _f32(inputs[0])
        rows, cols = x.shape
        dx = env.buffer(x.nbytes, read_only=True)
        dout = env.buffer(x.nbytes, write_only=True)
        out = np.empty_like(x)
        if chunked(env.kind) and cols % 16 == 0:
            k = env.kernel("softmax_rows16")
            wg = env.wg(k, SOFTMAX_ROWS_PER_GROUP_CPU)
            k.set_args(dx, dout, np.uint32(rows), np.uint32(cols))
            gsize, variant = _round_up(rows, wg), "one work-item per row, float16"
        else:
            k = env.kernel("softmax_rows")
            want = SOFTMAX_WG_CPU if chunked(env.kind) else SOFTMAX_WG_GPU
            wg = env.wg(k, min(want, 1 << max(0, (cols - 1).bit_length())))
            k.set_args(dx, dout, np.uint32(cols), env.local(4 * wg))
            gsize, variant = rows * wg, "one work-group per row"

        def body(c: Call) -> np.ndarray:
            c.h2d(dx, x)
            c.launch(k, (gsize,), (wg,))
            c.d2h(out, dout)
            return out

        return Call(
            env.queue,
            body,
            env.info(work_group_size=wg, global_size=gsize, row_length=cols, variant=variant),
        )

    return setup


STENCIL_LOCAL = (32, 8)


def _stencil(env: Env) -> Setup:
    from kernels.suite.stencil import C0, C1

    def setup(inputs: Arrays) -> Call:
        u = _f32(inputs[0])
        n = u.shape[0]
        k = env.kernel("stencil5")
        l0, l1 = STENCIL_LOCAL
        while l0 * l1 > env.max_wg(k) and l1 > 1:
            l1 //= 2
        while l0 * l1 > env.max_wg(k) and l0 > 1:
            l0 //= 2
        gsize = (_round_up(n, l0), _round_up(n, l1))
        du = env.buffer(u.nbytes, read_only=True)
        dout = env.buffer(u.nbytes, write_only=True)
        out = np.empty_like(u)
        k.set_args(du, dout, np.uint32(n), np.float32(C0), np.float32(C1))

        def body(c: Call) -> np.ndarray:
            c.h2d(du, u)
            c.launch(k, gsize, (l0, l1))
            c.d2h(out, dout)
            return out

        return Call(
            env.queue,
            body,
            env.info(work_group_size=l0 * l1, local_size=[l0, l1], global_size=list(gsize)),
        )

    return setup


HIST_BINS = 256  # histogram.cl: BINS


def _histogram(env: Env) -> Setup:
    def setup(inputs: Arrays) -> Call:
        x = _f32(inputs[0])
        n = x.size
        zero = env.kernel("hist_zero")
        k = env.kernel("hist_local")
        wg = env.wg(k)
        groups = env.groups(n, wg)
        dx = env.buffer(x.nbytes, read_only=True)
        dcounts = env.buffer(4 * HIST_BINS)
        counts = np.empty(HIST_BINS, dtype=np.uint32)
        zero.set_args(dcounts)
        zwg = env.wg(zero, HIST_BINS)
        k.set_args(dx, np.uint32(n), dcounts)

        def body(c: Call) -> np.ndarray:
            c.h2d(dx, x)
            c.launch(zero, (_round_up(HIST_BINS, zwg),), (zwg,))
            c.launch(k, (groups * wg,), (wg,))
            c.d2h(counts, dcounts)
            c.queue.finish()
            return counts.astype(np.int64)

        return Call(
            env.queue,
            body,
            env.info(work_group_size=wg, work_groups=groups, access=env.access, bins=HIST_BINS),
        )

    return setup


_HOSTS: dict[str, Callable[[Env], Setup]] = {
    "saxpy": _saxpy,
    "dot": _dot,
    "sum": _sum,
    "matmul": _matmul,
    "softmax": _softmax,
    "stencil": _stencil,
    "histogram": _histogram,
}


def chunked(kind: str) -> bool:
    """Whether grid-strided kernels walk one contiguous chunk per work-item.

    Yes on a CPU, no elsewhere; ``SOVPROF_OPENCL_ACCESS=chunked|strided`` overrides it
    (the tests run the GPU's strided code on a CPU device that way).
    """
    forced = os.environ.get(ACCESS_ENV, "").strip().lower()
    if forced in ("chunked", "strided"):
        return forced == "chunked"
    return kind == "CPU"


def build_options(kind: str) -> tuple[str, ...]:
    return ("-DCHUNKED",) if chunked(kind) else ()


def kernels() -> list[str]:
    """The suite kernels that have OpenCL host code."""
    return list(_HOSTS)


def setup_for(kernel_name: str, tier: str) -> Setup:
    """Build ``kernels/opencl/<kernel_name>.cl`` on ``tier``'s device; return its setup.

    Raises :class:`ValueError` for a kernel without OpenCL code,
    :class:`kernels.opencl.OpenCLUnavailable` when the device is not there and
    :class:`kernels.opencl.BuildError` (with the compiler's log) when it does not build.
    """
    host = _HOSTS.get(kernel_name)
    if host is None:
        known = ", ".join(_HOSTS)
        raise ValueError(f"no OpenCL implementation of kernel {kernel_name!r} (known: {known})")
    ctx, queue = opencl.context_for(tier)
    device = queue.device
    props = opencl.device_properties(device)
    t0 = time.perf_counter()
    program = opencl.program_for(tier, kernel_name, build_options(str(props["type"])))
    build_s = time.perf_counter() - t0
    try:
        props["platform"] = str(device.platform.name).strip()
    except Exception:
        props["platform"] = ""
    return host(Env(tier, kernel_name, ctx, queue, device, program, props, build_s))

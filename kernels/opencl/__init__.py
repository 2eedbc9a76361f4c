"""The OpenCL tier: find the devices, prove they run code, and run the suite on them.

Tiers are named ``opencl:<platform index>:<device index>`` (indices into
``pyopencl.get_platforms()`` and that platform's ``get_devices()``).

Public API (pyopencl is imported lazily, so importing this package never fails):

* :func:`probe_report` -> ``{"devices": [...], "unavailable_reason": str | None}``: every
  platform/device with its properties and a *proof*: a tiny vector add built and run on
  the device and checked against numpy (``available`` / ``problem``). It never raises:
  no pyopencl, no ICD loader or no platform gives an empty device list and a reason.
  ``unavailable_reason`` is ``None`` exactly when at least one device is available.
* :func:`probe` -> the device list alone; :func:`unavailable_reason` -> the reason alone.
* :func:`prove_tier` builds and runs a given ``vadd`` source on one tier through the same
  path the probe uses (a broken source comes back ``available: False`` with the
  compiler's log as ``problem``).
* :func:`build` compiles OpenCL C for a context; failures raise :class:`BuildError`
  carrying the build log.
* :func:`setup_for` (kernel host code, :mod:`kernels.opencl.host`) and :func:`calibrate`
  (:mod:`kernels.opencl.calibration`).

``python -m kernels.opencl probe`` prints :func:`probe_report` as JSON, for a detector
that runs it in a subprocess with a timeout (a broken ICD can crash or hang).
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

if TYPE_CHECKING:
    import pyopencl as cl

    from kernels.spec import Setup

TIER_PREFIX = "opencl:"
_TIER_RE = re.compile(r"^opencl:(\d+):(\d+)$")
#: how much of a build log / error message a probe keeps
_PROBLEM_LINES = 20
_PROBLEM_CHARS = 2000

#: the probe's proof: ``out = a + b`` over ``n`` floats
PROOF_SOURCE = """
__kernel void vadd(__global const float *a, __global const float *b,
                   __global float *out, const uint n)
{
    const uint i = get_global_id(0);
    if (i < n) out[i] = a[i] + b[i];
}
"""
PROOF_N = 1024


class OpenCLUnavailable(RuntimeError):
    """pyopencl, the ICD loader, a platform or the named device is missing."""


class BuildError(RuntimeError):
    """The OpenCL C compiler rejected a source; ``log`` is its build log."""

    def __init__(self, name: str, device: str, log: str) -> None:
        self.name = name
        self.device = device
        self.log = log
        super().__init__(f"OpenCL build of {name} failed on {device}:\n{log}")


class DeviceInfo(TypedDict, total=False):
    tier: str
    platform_index: int
    device_index: int
    platform: str
    platform_vendor: str
    platform_version: str
    device: str
    device_vendor: str
    type: str
    compute_units: int
    max_clock_mhz: int
    global_mem_bytes: int
    local_mem_bytes: int
    max_work_group_size: int
    driver_version: str
    opencl_version: str
    opencl_c_version: str
    host_unified_memory: bool
    available: bool
    problem: str | None
    proof_s: float


class ProbeReport(TypedDict):
    devices: list[DeviceInfo]
    #: None when at least one device is available, else why none is
    unavailable_reason: str | None


# --------------------------------------------------------------------------- helpers


def import_cl() -> ModuleType:
    """``pyopencl``, or :class:`OpenCLUnavailable` saying why it cannot be imported."""
    try:
        import pyopencl
    except Exception as exc:  # ImportError, or a broken native extension (OSError)
        raise OpenCLUnavailable(f"pyopencl cannot be imported: {_one_line(exc)}") from exc
    return pyopencl


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def trim(text: str, lines: int = _PROBLEM_LINES, chars: int = _PROBLEM_CHARS) -> str:
    """The first ``lines`` non-blank lines of ``text``, at most ``chars`` characters."""
    kept = [ln.rstrip() for ln in text.strip().splitlines() if ln.strip()][:lines]
    out = "\n".join(kept)
    return out if len(out) <= chars else out[: chars - 1] + "…"


def parse_tier(tier: str) -> tuple[int, int]:
    """``"opencl:1:0"`` -> ``(1, 0)``."""
    m = _TIER_RE.match(tier)
    if m is None:
        raise ValueError(f"not an OpenCL tier: {tier!r} (expected opencl:<platform>:<device>)")
    return int(m.group(1)), int(m.group(2))


def tier_name(platform_index: int, device_index: int) -> str:
    return f"{TIER_PREFIX}{platform_index}:{device_index}"


def _platforms(cl: ModuleType) -> list[Any]:
    try:
        return list(cl.get_platforms())
    except Exception as exc:  # PLATFORM_NOT_FOUND_KHR when the loader finds no driver
        raise OpenCLUnavailable(
            f"no OpenCL platform (is an ICD driver installed?): {_one_line(exc)}"
        ) from exc


def device_for(tier: str) -> cl.Device:
    """The pyopencl device a tier names; :class:`OpenCLUnavailable` when it is not there."""
    p, d = parse_tier(tier)
    ocl = import_cl()
    plats = _platforms(ocl)
    if p >= len(plats):
        raise OpenCLUnavailable(f"{tier}: no platform {p} ({len(plats)} platform(s))")
    try:
        devs = plats[p].get_devices()
    except Exception as exc:
        raise OpenCLUnavailable(f"{tier}: platform {p} lists no devices: {_one_line(exc)}") from exc
    if d >= len(devs):
        raise OpenCLUnavailable(f"{tier}: platform {p} has no device {d} ({len(devs)} device(s))")
    device: cl.Device = devs[d]
    return device


def device_type(device: cl.Device) -> str:
    """ "CPU", "GPU", "ACCELERATOR", "CUSTOM" or "OTHER" (the CPU bit wins)."""
    from pyopencl import device_type as dt

    bits = int(device.type)
    for flag, label in (
        (dt.CPU, "CPU"),
        (dt.GPU, "GPU"),
        (dt.ACCELERATOR, "ACCELERATOR"),
        (getattr(dt, "CUSTOM", 0), "CUSTOM"),
    ):
        if flag and bits & int(flag):
            return label
    return "OTHER"


def _attr(obj: Any, name: str, conv: Callable[[Any], Any], default: Any) -> Any:
    try:
        return conv(getattr(obj, name))
    except Exception:
        return default


def _str(value: Any) -> str:
    return str(value).strip()


def device_properties(device: cl.Device) -> dict[str, Any]:
    """Name, type and sizes of a device; a property the driver refuses is left at a default."""
    try:
        kind = device_type(device)
    except Exception:
        kind = "OTHER"
    return {
        "device": _attr(device, "name", _str, "?"),
        "device_vendor": _attr(device, "vendor", _str, ""),
        "type": kind,
        "compute_units": _attr(device, "max_compute_units", int, 0),
        "max_clock_mhz": _attr(device, "max_clock_frequency", int, 0),
        "global_mem_bytes": _attr(device, "global_mem_size", int, 0),
        "local_mem_bytes": _attr(device, "local_mem_size", int, 0),
        "max_work_group_size": _attr(device, "max_work_group_size", int, 0),
        "driver_version": _attr(device, "driver_version", _str, ""),
        "opencl_version": _attr(device, "version", _str, ""),
        "opencl_c_version": _attr(device, "opencl_c_version", _str, ""),
        "host_unified_memory": _attr(device, "host_unified_memory", bool, False),
    }


# --------------------------------------------------------------------------- building


def source(name: str) -> str:
    """The OpenCL C shipped as ``kernels/opencl/<name>.cl``."""
    return resources.files(__name__).joinpath(f"{name}.cl").read_text(encoding="utf-8")


def build(
    context: cl.Context, src: str, name: str = "<source>", options: Sequence[str] = ()
) -> cl.Program:
    """Compile ``src`` for every device of ``context``; :class:`BuildError` with the log."""
    ocl = import_cl()
    program = ocl.Program(context, src)
    try:
        with warnings.catch_warnings():
            # pyopencl turns a non-empty log of a *successful* build into a warning
            warnings.simplefilter("ignore")
            built: cl.Program = program.build(options=list(options))
            return built
    except ocl.Error as exc:
        logs: list[str] = []
        for dev in context.devices:
            try:
                log = str(program.get_build_info(dev, ocl.program_build_info.LOG)).strip()
            except Exception:
                log = ""
            if log:
                logs.append(log)
        devname = ", ".join(_attr(d, "name", _str, "?") for d in context.devices)
        raise BuildError(name, devname, trim("\n".join(logs) or str(exc), 40, 4000)) from exc


@cache
def _cached_context(tier: str) -> tuple[cl.Context, cl.CommandQueue]:
    cl = import_cl()
    dev = device_for(tier)
    ctx = cl.Context([dev])
    queue = cl.CommandQueue(ctx, dev, properties=cl.command_queue_properties.PROFILING_ENABLE)
    return ctx, queue


def context_for(tier: str) -> tuple[cl.Context, cl.CommandQueue]:
    """One context and one in-order, profiling-enabled queue per tier and process."""
    return _cached_context(tier)


@cache
def _cached_program(tier: str, name: str, options: tuple[str, ...]) -> cl.Program:
    ctx, _ = context_for(tier)
    return build(ctx, source(name), f"{name}.cl", options)


def program_for(tier: str, name: str, options: tuple[str, ...] = ()) -> cl.Program:
    """``kernels/opencl/<name>.cl`` built for the tier's device (once per process)."""
    return _cached_program(tier, name, options)


# --------------------------------------------------------------------------- probing


def _prove(device: cl.Device, src: str) -> tuple[bool, str | None]:
    """Build ``src`` on ``device``, run its ``vadd`` on PROOF_N floats, check with numpy."""
    try:
        cl = import_cl()
        ctx = cl.Context([device])
        queue = cl.CommandQueue(ctx, device)
        prg = build(ctx, src, "the probe kernel")
        rng = np.random.default_rng(1234)
        a = rng.standard_normal(PROOF_N, dtype=np.float32)
        b = rng.standard_normal(PROOF_N, dtype=np.float32)
        out = np.zeros_like(a)
        mf = cl.mem_flags
        da = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=a)
        db = cl.Buffer(ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=b)
        dout = cl.Buffer(ctx, mf.WRITE_ONLY, out.nbytes)
        prg.vadd(queue, (PROOF_N,), None, da, db, dout, np.uint32(PROOF_N))
        cl.enqueue_copy(queue, out, dout, is_blocking=True)
        queue.finish()
    except BuildError as exc:
        return False, trim(f"build failed: {exc.log}")
    except Exception as exc:
        return False, trim(_one_line(exc))
    want = a + b
    if not np.allclose(out, want, rtol=1e-6, atol=1e-6):
        bad = int(np.count_nonzero(~np.isclose(out, want, rtol=1e-6, atol=1e-6)))
        return False, f"the probe kernel ran but {bad} of {PROOF_N} sums are wrong"
    return True, None


def prove_tier(tier: str, src: str = PROOF_SOURCE) -> dict[str, Any]:
    """Prove one tier with ``src`` (which must define ``vadd(a, b, out, n)``).

    Returns ``{"tier", "available", "problem"}``; never raises.
    """
    try:
        dev = device_for(tier)
    except Exception as exc:
        return {"tier": tier, "available": False, "problem": trim(_one_line(exc))}
    ok, problem = _prove(dev, src)
    return {"tier": tier, "available": ok, "problem": problem}


def _probe_uncached() -> ProbeReport:
    try:
        cl = import_cl()
        plats = _platforms(cl)
    except OpenCLUnavailable as exc:
        return {"devices": [], "unavailable_reason": str(exc)}
    except Exception as exc:
        return {"devices": [], "unavailable_reason": _one_line(exc)}
    if not plats:
        return {"devices": [], "unavailable_reason": "no OpenCL platform"}
    devices: list[DeviceInfo] = []
    notes: list[str] = []
    for p, plat in enumerate(plats):
        pinfo = {
            "platform": _attr(plat, "name", _str, "?"),
            "platform_vendor": _attr(plat, "vendor", _str, ""),
            "platform_version": _attr(plat, "version", _str, ""),
        }
        try:
            devs = list(plat.get_devices())
        except Exception as exc:  # DEVICE_NOT_FOUND on an empty platform
            notes.append(f"platform {p} ({pinfo['platform']}): no devices ({_one_line(exc)})")
            continue
        for d, dev in enumerate(devs):
            t0 = time.perf_counter()
            ok, problem = _prove(dev, PROOF_SOURCE)
            entry: dict[str, Any] = {
                "tier": tier_name(p, d),
                "platform_index": p,
                "device_index": d,
                **pinfo,
                **device_properties(dev),
                "available": ok,
                "problem": problem,
                "proof_s": time.perf_counter() - t0,
            }
            devices.append(entry)  # type: ignore[arg-type]
    reason: str | None = None
    if not any(dev.get("available") for dev in devices):
        if devices:
            reason = "no OpenCL device ran the probe kernel: " + "; ".join(
                f"{dev['tier']} ({dev.get('device', '?')}): {dev.get('problem')}" for dev in devices
            )
        else:
            reason = "no OpenCL device" + (": " + "; ".join(notes) if notes else "")
    return {"devices": devices, "unavailable_reason": reason}


_PROBE: ProbeReport | None = None


def probe_report(refresh: bool = False) -> ProbeReport:
    """Every platform/device and its proof (cached per process); never raises."""
    global _PROBE
    if _PROBE is None or refresh:
        try:
            _PROBE = _probe_uncached()
        except Exception as exc:  # belt and braces: a probe must never raise
            _PROBE = {"devices": [], "unavailable_reason": f"probe failed: {_one_line(exc)}"}
    return _PROBE


def probe(refresh: bool = False) -> list[DeviceInfo]:
    """Every OpenCL device, available or not (empty when there is no OpenCL at all)."""
    return probe_report(refresh)["devices"]


def unavailable_reason(refresh: bool = False) -> str | None:
    """Why no OpenCL device is usable, or None when at least one is."""
    return probe_report(refresh)["unavailable_reason"]


def available_tiers(refresh: bool = False) -> list[str]:
    return [dev["tier"] for dev in probe(refresh) if dev.get("available")]


# --------------------------------------------------------------------------- running


def setup_for(kernel_name: str, tier: str) -> Setup:
    """The suite kernel's OpenCL setup on ``tier`` (see :mod:`kernels.opencl.host`)."""
    from kernels.opencl.host import setup_for as _setup_for

    return _setup_for(kernel_name, tier)


def calibrate(tier: str) -> dict[str, float | bool | str]:
    """Transfer and memory bandwidths, launch latency and peak FLOP/s of ``tier``."""
    from kernels.opencl.calibration import calibrate as _calibrate

    return _calibrate(tier)


__all__ = [
    "PROOF_SOURCE",
    "BuildError",
    "DeviceInfo",
    "OpenCLUnavailable",
    "ProbeReport",
    "available_tiers",
    "build",
    "calibrate",
    "context_for",
    "device_for",
    "device_properties",
    "device_type",
    "parse_tier",
    "probe",
    "probe_report",
    "program_for",
    "prove_tier",
    "setup_for",
    "source",
    "unavailable_reason",
]

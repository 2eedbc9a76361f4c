"""GPU facts and counters: NVIDIA through NVML, else OpenCL static facts, else "absent".

Two entry points:

* ``gpu_facts() -> GpuReport``: which accelerators this machine has, and how they were
  found.  Order of preference:

  1. **NVML** — when ``pynvml`` (the ``nvidia-ml-py`` package) imports *and*
     ``nvmlInit()`` succeeds: every NVIDIA device with its name, memory, SM count,
     max SM clock, driver version; live counters are available (``GpuSource``).
  2. **OpenCL** — otherwise, when ``pyopencl`` imports and finds at least one device:
     the static facts of each device (platform, name, type, compute units, global
     memory, max clock).  OpenCL has no live utilisation counters.  A CPU device (PoCL,
     for instance) is reported with ``kind == "CPU"`` and labelled "CPU device, not a
     GPU" — never as a GPU.
  3. **absent** — ``backend == "none"`` with the one ``Unsupported("gpu", …)`` below;
     ``notes`` say what was tried and why each step failed.

* ``GpuSource(pid)`` (source ``"gpu"``): the live counters when NVML works, one set per
  device *i*, all gauges: ``gpu{i}.util`` (%), ``gpu{i}.mem-util`` (% of time the memory
  controller was busy), ``gpu{i}.mem-used`` / ``gpu{i}.mem-total`` (bytes),
  ``gpu{i}.clock-sm`` / ``gpu{i}.clock-mem`` (MHz), ``gpu{i}.power`` (W),
  ``gpu{i}.temp`` (°C) and ``gpu{i}.proc-mem`` (bytes of device memory NVML attributes
  to the target PID; 0 when NVML does not list it on that device).  Each metric is
  probed on its own: an ``NVMLError`` for one metric makes that metric unsupported
  (with NVML's reason), never the whole source.  Without NVML, ``specs()`` is empty and
  ``unsupported()`` says why.  NVML lists host PIDs: inside a container with its own
  PID namespace the target may not be found, and ``proc-mem`` then reads 0.

No dependency is added for this: ``pynvml`` and ``pyopencl`` are imported only if they
are there (``importlib``), so this module imports everywhere.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import psutil

from app.core.counters.base import CounterSpec, TargetGoneError, Unsupported

GpuBackend = Literal["nvml", "opencl", "none"]
DeviceKind = Literal["GPU", "CPU", "accelerator", "other"]

ABSENT = Unsupported(
    "gpu",
    "no NVIDIA driver (NVML) and no OpenCL runtime found",
    "install the NVIDIA driver + nvidia-ml-py, or an OpenCL ICD such as Debian's pocl-opencl-icd",
)
OPENCL_STATIC_ONLY = Unsupported(
    "gpu.live",
    "OpenCL reports static device facts only; it has no live utilisation counters",
    "for live GPU counters on NVIDIA hardware install the NVIDIA driver + nvidia-ml-py",
)
_MAX_READ_ERRORS = 3


@dataclass(frozen=True)
class GpuDevice:
    """Static facts of one device, as the backend reports them."""

    backend: GpuBackend
    index: int
    name: str
    kind: DeviceKind
    platform: str
    vendor: str
    compute_units: int | None
    global_memory_bytes: int | None
    max_clock_mhz: int | None
    driver: str
    details: tuple[tuple[str, str], ...] = ()

    @property
    def is_gpu(self) -> bool:
        return self.kind == "GPU"

    def label(self) -> str:
        """One line for people: a CPU device says it is not a GPU."""
        what = {
            "GPU": "GPU",
            "CPU": "CPU device, not a GPU",
            "accelerator": "accelerator",
            "other": "other device",
        }[self.kind]
        bits = [what]
        if self.compute_units is not None:
            bits.append(f"{self.compute_units} compute units")
        if self.global_memory_bytes is not None:
            bits.append(f"{self.global_memory_bytes / 2**30:.1f} GiB")
        if self.max_clock_mhz is not None:
            bits.append(f"{self.max_clock_mhz} MHz")
        return f"{self.name} ({', '.join(bits)}) on {self.platform}"


@dataclass(frozen=True)
class GpuReport:
    backend: GpuBackend
    devices: tuple[GpuDevice, ...]
    live_counters: bool
    unsupported: tuple[Unsupported, ...] = ()
    notes: tuple[str, ...] = field(default=())  # what was tried, and why it failed

    @property
    def gpus(self) -> tuple[GpuDevice, ...]:
        """Only the devices that really are GPUs."""
        return tuple(d for d in self.devices if d.is_gpu)

    def as_dict(self) -> dict[str, object]:
        return {
            "backend": self.backend,
            "live_counters": self.live_counters,
            "devices": [
                {**asdict(d), "details": dict(d.details), "label": d.label()} for d in self.devices
            ],
            "unsupported": [asdict(u) for u in self.unsupported],
            "notes": list(self.notes),
        }


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _import(name: str, label: str, notes: list[str]) -> Any | None:
    """The module, or None with a note: not installed, or installed but broken."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name or exc.name is None:  # None: blocked via sys.modules
            notes.append(f"{label}: {name} is not installed")
        else:
            notes.append(f"{label}: {name} is installed but cannot import: {exc}")
        return None
    except ImportError as exc:
        notes.append(f"{label}: {name} is installed but cannot import: {exc}")
        return None


# -- NVML -------------------------------------------------------------------------------


def _nvml_init(notes: list[str]) -> Any | None:
    """``pynvml`` after a successful ``nvmlInit()``, else None with a note why."""
    nv = _import("pynvml", "NVML", notes)  # the nvidia-ml-py package
    if nv is None:
        return None
    try:
        nv.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, …
        notes.append(f"NVML: nvmlInit() failed: {_text(exc) or type(exc).__name__}")
        return None
    return nv


def _nvml_shutdown(nv: Any) -> None:
    with contextlib.suppress(Exception):  # nothing useful to do about it
        nv.nvmlShutdown()


def _ask(fn: Callable[..., Any], *args: Any) -> Any | None:
    """One optional query (NVML call, OpenCL attribute); None when it raises."""
    try:
        return fn(*args)
    except Exception:
        return None


def _nvml_devices(nv: Any, notes: list[str]) -> list[GpuDevice]:
    try:
        count = int(nv.nvmlDeviceGetCount())
    except Exception as exc:
        notes.append(f"NVML: nvmlDeviceGetCount() failed: {_text(exc)}")
        return []
    driver = _ask(nv.nvmlSystemGetDriverVersion)
    driver_s = _text(driver) if driver is not None else ""
    devices: list[GpuDevice] = []
    for i in range(count):
        try:
            h = nv.nvmlDeviceGetHandleByIndex(i)
        except Exception as exc:
            notes.append(f"NVML: device {i}: {_text(exc)}")
            continue
        name = _ask(nv.nvmlDeviceGetName, h)
        mem = _ask(nv.nvmlDeviceGetMemoryInfo, h)
        attrs = _ask(nv.nvmlDeviceGetAttributes, h)
        clock = _ask(nv.nvmlDeviceGetMaxClockInfo, h, nv.NVML_CLOCK_SM)
        details: list[tuple[str, str]] = []
        uuid = _ask(nv.nvmlDeviceGetUUID, h)
        if uuid is not None:
            details.append(("uuid", _text(uuid)))
        cc = _ask(nv.nvmlDeviceGetCudaComputeCapability, h)
        if cc is not None:
            details.append(("compute_capability", f"{cc[0]}.{cc[1]}"))
        limit = _ask(nv.nvmlDeviceGetPowerManagementLimit, h)
        if limit is not None:
            details.append(("power_limit_w", f"{int(limit) / 1000:g}"))
        sms = getattr(attrs, "multiprocessorCount", None) if attrs is not None else None
        devices.append(
            GpuDevice(
                backend="nvml",
                index=i,
                name=_text(name) if name is not None else f"NVIDIA device {i}",
                kind="GPU",
                platform="NVIDIA NVML",
                vendor="NVIDIA",
                compute_units=int(sms) if sms else None,
                global_memory_bytes=int(mem.total) if mem is not None else None,
                max_clock_mhz=int(clock) if clock else None,
                driver=driver_s,
                details=tuple(details),
            )
        )
    return devices


# -- OpenCL -----------------------------------------------------------------------------


def _opencl_kind(cl: Any, dtype: int) -> DeviceKind:
    t = cl.device_type
    if dtype & int(t.CPU):  # checked first: a CPU device is never called a GPU
        return "CPU"
    if dtype & int(t.GPU):
        return "GPU"
    if dtype & int(t.ACCELERATOR):
        return "accelerator"
    return "other"


def _opencl_devices(notes: list[str]) -> list[GpuDevice]:
    cl = _import("pyopencl", "OpenCL", notes)
    if cl is None:
        return []
    try:
        platforms = list(cl.get_platforms())
    except Exception as exc:  # no ICD: clGetPlatformIDs → PLATFORM_NOT_FOUND_KHR
        notes.append(f"OpenCL: no platform ({_text(exc).strip() or type(exc).__name__})")
        return []
    devices: list[GpuDevice] = []
    for plat in platforms:
        pname = _text(getattr(plat, "name", "?")).strip()
        try:
            found = list(plat.get_devices())
        except Exception as exc:  # DEVICE_NOT_FOUND on an empty platform
            notes.append(f"OpenCL: platform {pname!r} has no device ({_text(exc).strip()})")
            continue
        for dev in found:

            def attr(name: str, dev: Any = dev) -> Any | None:
                return _ask(getattr, dev, name)

            units = attr("max_compute_units")
            mem = attr("global_mem_size")
            clock = attr("max_clock_frequency")
            details = [
                (k, _text(v).strip())
                for k in ("version", "opencl_c_version")
                if (v := attr(k)) is not None
            ]
            details.append(("platform_version", _text(getattr(plat, "version", "")).strip()))
            devices.append(
                GpuDevice(
                    backend="opencl",
                    index=len(devices),
                    name=_text(attr("name") or "?").strip(),
                    kind=_opencl_kind(cl, int(attr("type") or 0)),
                    platform=pname,
                    vendor=_text(attr("vendor") or "").strip(),
                    compute_units=int(units) if units else None,
                    global_memory_bytes=int(mem) if mem else None,
                    max_clock_mhz=int(clock) if clock else None,
                    driver=_text(attr("driver_version") or "").strip(),
                    details=tuple(details),
                )
            )
    if not devices and platforms:
        notes.append("OpenCL: platforms found but no device")
    return devices


# -- facts ------------------------------------------------------------------------------


def _static_fallback(notes: list[str]) -> GpuReport:
    """The OpenCL report, or the "absent" one."""
    devices = _opencl_devices(notes)
    if devices:
        return GpuReport("opencl", tuple(devices), False, (OPENCL_STATIC_ONLY,), tuple(notes))
    return GpuReport("none", (), False, (ABSENT,), tuple(notes))


def gpu_facts() -> GpuReport:
    """What accelerators this machine has (NVML, else OpenCL, else none — said so)."""
    notes: list[str] = []
    nv = _nvml_init(notes)
    if nv is not None:
        try:
            devices = _nvml_devices(nv, notes)
        finally:
            _nvml_shutdown(nv)
        if devices:
            return GpuReport("nvml", tuple(devices), True, (), tuple(notes))
        notes.append("NVML: initialised but lists no device")
    return _static_fallback(notes)


# -- live counters ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Metric:
    suffix: str
    unit: str
    description: str
    read: Callable[[Any, Any, int], float | None]  # (pynvml, handle, pid) -> value


def _running_processes(nv: Any, h: Any, kind: str) -> list[Any]:
    """Compute or graphics processes on a device (falls back to the _v2 NVML call)."""
    fn = getattr(nv, f"nvmlDeviceGet{kind}RunningProcesses")
    try:
        return list(fn(h))
    except nv.NVMLError as exc:
        old = getattr(nv, f"nvmlDeviceGet{kind}RunningProcesses_v2", None)
        if old is None or old is fn:
            raise
        try:
            return list(old(h))
        except nv.NVMLError:
            raise exc from None


def _proc_mem(nv: Any, h: Any, pid: int) -> float | None:
    """Device memory NVML attributes to ``pid`` (0 when not listed; None if N/A).

    Compute and graphics processes are listed apart; a list this GPU cannot give
    (graphics on a compute-only board) is skipped, and only both failing raises.
    """
    used: float = 0.0
    failed: list[BaseException] = []
    for kind in ("Compute", "Graphics"):
        try:
            listed = _running_processes(nv, h, kind)
        except nv.NVMLError as exc:
            failed.append(exc)
            continue
        for p in listed:
            if int(p.pid) != pid:
                continue
            if p.usedGpuMemory is None:  # NVML_VALUE_NOT_AVAILABLE (WDDM, some vGPUs)
                return None
            # a process may be listed as both: same context, count it once
            used = max(used, float(p.usedGpuMemory))
    if len(failed) == 2:
        raise failed[0]
    return used


_METRICS: tuple[_Metric, ...] = (
    _Metric(
        "util",
        "%",
        "percent of time a kernel was running on the GPU",
        lambda nv, h, _pid: float(nv.nvmlDeviceGetUtilizationRates(h).gpu),
    ),
    _Metric(
        "mem-util",
        "%",
        "percent of time device memory was being read or written",
        lambda nv, h, _pid: float(nv.nvmlDeviceGetUtilizationRates(h).memory),
    ),
    _Metric(
        "mem-used",
        "bytes",
        "device memory in use (all processes)",
        lambda nv, h, _pid: float(nv.nvmlDeviceGetMemoryInfo(h).used),
    ),
    _Metric(
        "mem-total",
        "bytes",
        "device memory in total",
        lambda nv, h, _pid: float(nv.nvmlDeviceGetMemoryInfo(h).total),
    ),
    _Metric(
        "clock-sm",
        "MHz",
        "current SM clock",
        lambda nv, h, _pid: float(nv.nvmlDeviceGetClockInfo(h, nv.NVML_CLOCK_SM)),
    ),
    _Metric(
        "clock-mem",
        "MHz",
        "current memory clock",
        lambda nv, h, _pid: float(nv.nvmlDeviceGetClockInfo(h, nv.NVML_CLOCK_MEM)),
    ),
    _Metric(
        "power",
        "W",
        "board power draw",
        lambda nv, h, _pid: float(nv.nvmlDeviceGetPowerUsage(h)) / 1000.0,  # mW → W
    ),
    _Metric(
        "temp",
        "C",
        "GPU core temperature",
        lambda nv, h, _pid: float(nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU)),
    ),
    _Metric(
        "proc-mem",
        "bytes",
        "device memory NVML attributes to the target process (0: not using this GPU)",
        _proc_mem,
    ),
)


def _nvml_fix(nv: Any, exc: BaseException) -> str:
    value = getattr(exc, "value", None)
    if value == getattr(nv, "NVML_ERROR_NO_PERMISSION", object()):
        return "run sovprof as root or as a user allowed to query the GPU"
    if value == getattr(nv, "NVML_ERROR_NOT_SUPPORTED", object()):
        return ""  # this GPU or driver does not report it: nothing to do
    return "check the NVIDIA driver (nvidia-smi -q) and update nvidia-ml-py"


class GpuSource:
    """Live NVML counters for one target (see the module docstring)."""

    source = "gpu"

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self._proc = psutil.Process(pid)
        except psutil.NoSuchProcess as exc:
            raise TargetGoneError(f"no process with PID {pid}") from exc
        self._specs: list[CounterSpec] = []
        self._unsupported: list[Unsupported] = []
        self._live: list[tuple[CounterSpec, _Metric, Any]] = []  # (spec, metric, handle)
        self._errors: dict[str, int] = {}
        notes: list[str] = []
        self._nv = _nvml_init(notes)
        if self._nv is None:
            self.report = _static_fallback(notes)
            self._unsupported.extend(self.report.unsupported)
            return
        try:
            devices = _nvml_devices(self._nv, notes)
            self._probe(self._nv, devices)
        except BaseException:
            self.close()
            raise
        if not devices:
            notes.append("NVML: initialised but lists no device")
            self.close()
            self.report = _static_fallback(notes)
            self._unsupported.extend(self.report.unsupported)
            return
        self.report = GpuReport("nvml", tuple(devices), True, (), tuple(notes))

    def _probe(self, nv: Any, devices: list[GpuDevice]) -> None:
        for dev in devices:
            h = nv.nvmlDeviceGetHandleByIndex(dev.index)
            for m in _METRICS:
                name = f"gpu{dev.index}.{m.suffix}"
                spec = CounterSpec(name, m.unit, "gauge", f"{m.description} ({dev.name})")
                try:
                    value = m.read(nv, h, self.pid)
                except nv.NVMLError as exc:
                    self._unsupported.append(
                        Unsupported(name, f"NVML: {_text(exc)}", _nvml_fix(nv, exc))
                    )
                    continue
                if value is None:
                    self._unsupported.append(
                        Unsupported(
                            name,
                            "NVML reports it as not available (N/A) on this system",
                            "",
                        )
                    )
                    continue
                self._specs.append(spec)
                self._live.append((spec, m, h))

    def specs(self) -> list[CounterSpec]:
        return list(self._specs)

    def unsupported(self) -> list[Unsupported]:
        return list(self._unsupported)

    def _check_alive(self) -> None:
        try:
            if not self._proc.is_running():
                raise TargetGoneError(f"process {self.pid} is gone (exited, or its PID was reused)")
            if self._proc.status() == psutil.STATUS_ZOMBIE:
                raise TargetGoneError(f"process {self.pid} is gone (zombie)")
        except psutil.NoSuchProcess as exc:  # ZombieProcess included
            raise TargetGoneError(f"process {self.pid} is gone") from exc

    def read(self) -> dict[str, float]:
        self._check_alive()
        out: dict[str, float] = {}
        nv = self._nv
        if nv is None:
            return out
        for spec, m, h in list(self._live):
            try:
                value = m.read(nv, h, self.pid)
            except nv.NVMLError as exc:
                value = None
                err = exc
            else:
                err = None
            if value is not None:
                self._errors.pop(spec.name, None)
                out[spec.name] = value
                continue
            # a failed read is left out of this window; a metric failing again and
            # again is moved to unsupported() with NVML's reason
            n = self._errors[spec.name] = self._errors.get(spec.name, 0) + 1
            if n >= _MAX_READ_ERRORS:
                self._live.remove((spec, m, h))
                self._specs.remove(spec)
                reason = f"NVML: {_text(err)}" if err is not None else "NVML: not available"
                fix = _nvml_fix(nv, err) if err is not None else ""
                self._unsupported.append(Unsupported(spec.name, reason + " (stopped)", fix))
        return out

    def close(self) -> None:
        if self._nv is not None:
            _nvml_shutdown(self._nv)
            self._nv = None

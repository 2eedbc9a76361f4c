"""GPU facts and counters: NVML, else OpenCL static facts, else absent — said so.

The "absent" path runs for real everywhere (the optional modules are made
unimportable with the standard ``sys.modules[name] = None`` switch).  The NVML and
OpenCL tests run against the real libraries where they are installed and working,
and skip elsewhere.  One test drives the NVML code with a small stand-in ``pynvml``
module: it checks only sovprof's own per-metric guarding (one failing metric is
unsupported, the others still read), which a machine without a GPU cannot show.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from typing import Any

import pytest

from app.core.counters.base import CounterSource, TargetGoneError
from app.core.counters.gpu import ABSENT, OPENCL_STATIC_ONLY, GpuSource, gpu_facts
from sovprof_testing import SpawnTarget


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _nvml_works() -> bool:
    if not _importable("pynvml"):
        return False
    import pynvml  # type: ignore[import-not-found,import-untyped,unused-ignore]

    try:
        pynvml.nvmlInit()
    except Exception:
        return False
    pynvml.nvmlShutdown()
    return True


def _opencl_devices() -> int:
    if not _importable("pyopencl"):
        return 0
    import pyopencl  # type: ignore[import-not-found,import-untyped,unused-ignore]

    try:
        return sum(len(p.get_devices()) for p in pyopencl.get_platforms())
    except Exception:
        return 0


@pytest.fixture
def no_gpu_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setitem(sys.modules, "pyopencl", None)


def test_absent_is_said_so(no_gpu_modules: None) -> None:
    report = gpu_facts()
    assert report.backend == "none"
    assert report.devices == () and report.gpus == ()
    assert report.live_counters is False
    assert report.unsupported == (ABSENT,)
    assert ABSENT.name == "gpu"
    assert ABSENT.reason == "no NVIDIA driver (NVML) and no OpenCL runtime found"
    assert "nvidia-ml-py" in ABSENT.fix and "pocl-opencl-icd" in ABSENT.fix
    assert report.notes == (
        "NVML: pynvml is not installed",
        "OpenCL: pyopencl is not installed",
    )
    doc = report.as_dict()
    assert doc["backend"] == "none" and doc["devices"] == []
    assert doc["unsupported"] == [{"name": "gpu", "reason": ABSENT.reason, "fix": ABSENT.fix}]


def test_absent_source_reads_nothing_and_says_why(no_gpu_modules: None) -> None:
    src: CounterSource = GpuSource(os.getpid())
    assert src.source == "gpu"
    assert src.specs() == []
    assert src.unsupported() == [ABSENT]
    assert src.read() == {}
    src.close()
    src.close()  # idempotent


@pytest.mark.skipif(_importable("pynvml") or _importable("pyopencl"), reason="a GPU module is here")
def test_absent_on_this_machine_without_help() -> None:
    """Here neither module is installed: the plain call takes the absent path."""
    report = gpu_facts()
    assert report.backend == "none" and report.unsupported == (ABSENT,)


def test_missing_or_exited_target_is_gone(spawn_target: SpawnTarget, no_gpu_modules: None) -> None:
    with pytest.raises(TargetGoneError, match="no process with PID 999999999"):
        GpuSource(999_999_999)
    proc = spawn_target("ratio_70_30", "30")
    src = GpuSource(proc.pid)
    assert src.read() == {}
    proc.kill()
    proc.wait()
    with pytest.raises(TargetGoneError, match=f"process {proc.pid} is gone"):
        src.read()


def test_whatever_is_here_is_consistent() -> None:
    """The real call on this machine: devices are labelled by what they are."""
    report = gpu_facts()
    assert report.backend in ("nvml", "opencl", "none")
    if report.backend == "none":
        assert report.unsupported == (ABSENT,)
    for dev in report.devices:
        assert dev.name
        if dev.kind == "CPU":
            assert "CPU device, not a GPU" in dev.label()
            assert dev not in report.gpus
        if dev.kind == "GPU":
            assert dev in report.gpus


@pytest.mark.skipif(
    not _importable("pynvml") or _nvml_works(), reason="needs pynvml without a working driver"
)
def test_pynvml_without_driver_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyopencl", None)
    report = gpu_facts()
    assert report.backend == "none"
    assert report.notes[0].startswith("NVML: nvmlInit() failed: ")


@pytest.mark.skipif(_opencl_devices() == 0, reason="needs pyopencl with an OpenCL device")
def test_opencl_static_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    report = gpu_facts()
    assert report.backend == "opencl"
    assert report.live_counters is False
    assert report.unsupported == (OPENCL_STATIC_ONLY,)
    assert len(report.devices) == _opencl_devices()
    for dev in report.devices:
        assert dev.platform and dev.name
        assert dev.compute_units and dev.compute_units >= 1
        assert dev.global_memory_bytes and dev.global_memory_bytes > 0
        if "pthread" in dev.name.lower() or "cpu" in dev.platform.lower():
            assert dev.kind == "CPU"
            assert "not a GPU" in dev.label()
    src = GpuSource(os.getpid())
    assert src.specs() == [] and src.unsupported() == [OPENCL_STATIC_ONLY]


@pytest.mark.skipif(not _nvml_works(), reason="needs an NVIDIA driver and nvidia-ml-py")
def test_nvml_live_counters() -> None:
    report = gpu_facts()
    assert report.backend == "nvml" and report.live_counters
    assert report.gpus == report.devices
    src = GpuSource(os.getpid())
    names = {s.name for s in src.specs()}
    assert {"gpu0.util", "gpu0.mem-used", "gpu0.mem-total"} <= names
    values = src.read()
    assert 0 <= values["gpu0.util"] <= 100
    assert 0 < values["gpu0.mem-used"] <= values["gpu0.mem-total"]
    if "gpu0.proc-mem" in values:
        assert values["gpu0.proc-mem"] == 0  # this test process made no CUDA context
    for u in src.unsupported():
        assert u.reason.startswith("NVML")
    src.close()


# -- the per-metric guarding, with a stand-in pynvml ----------------------------------


class _NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return {3: "Not Supported", 4: "Insufficient Permissions", 10: "Timeout"}[self.value]


def _stand_in_pynvml(pid: int) -> tuple[types.ModuleType, dict[str, Any]]:
    """The part of the nvidia-ml-py API that gpu.py calls; power is denied."""
    state: dict[str, Any] = {"temp_fails": False, "inits": 0}
    nv = types.ModuleType("pynvml")
    ns: Any = nv
    ns.NVMLError = _NVMLError
    ns.NVML_ERROR_NOT_SUPPORTED = 3
    ns.NVML_ERROR_NO_PERMISSION = 4
    ns.NVML_CLOCK_SM = 1
    ns.NVML_CLOCK_MEM = 2
    ns.NVML_TEMPERATURE_GPU = 0

    def init() -> None:
        state["inits"] += 1

    def shutdown() -> None:
        state["inits"] -= 1

    def deny(value: int) -> Any:
        def call(*_a: Any) -> Any:
            raise _NVMLError(value)

        return call

    def temperature(_h: Any, sensor: int) -> int:
        assert sensor == 0
        if state["temp_fails"]:
            raise _NVMLError(10)
        return 41

    ns.nvmlInit = init
    ns.nvmlShutdown = shutdown
    ns.nvmlSystemGetDriverVersion = lambda: "550.54.15"
    ns.nvmlDeviceGetCount = lambda: 1
    ns.nvmlDeviceGetHandleByIndex = lambda i: ("handle", i)
    ns.nvmlDeviceGetName = lambda h: b"Stand-in GPU"
    ns.nvmlDeviceGetUUID = lambda h: "GPU-0000"
    ns.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(
        total=80 * 2**30, used=2 * 2**30, free=78 * 2**30
    )
    ns.nvmlDeviceGetAttributes = deny(3)
    ns.nvmlDeviceGetMaxClockInfo = lambda h, t: 1980 if t == 1 else 2619
    ns.nvmlDeviceGetCudaComputeCapability = lambda h: (9, 0)
    ns.nvmlDeviceGetPowerManagementLimit = lambda h: 700_000
    ns.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=37, memory=12)
    ns.nvmlDeviceGetClockInfo = lambda h, t: 1755 if t == 1 else 2619
    ns.nvmlDeviceGetPowerUsage = deny(4)
    ns.nvmlDeviceGetTemperature = temperature
    ns.nvmlDeviceGetComputeRunningProcesses = lambda h: [
        types.SimpleNamespace(pid=pid, usedGpuMemory=512 * 2**20),
        types.SimpleNamespace(pid=pid + 1, usedGpuMemory=2**30),
    ]
    ns.nvmlDeviceGetGraphicsRunningProcesses = deny(3)
    return nv, state


def test_nvml_one_failing_metric_is_unsupported_not_the_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pid = os.getpid()
    nv, state = _stand_in_pynvml(pid)
    monkeypatch.setitem(sys.modules, "pynvml", nv)

    report = gpu_facts()
    assert report.backend == "nvml" and report.live_counters
    (dev,) = report.devices
    assert dev.kind == "GPU" and dev.name == "Stand-in GPU" and dev.driver == "550.54.15"
    assert dev.compute_units is None  # nvmlDeviceGetAttributes: Not Supported
    assert dev.global_memory_bytes == 80 * 2**30 and dev.max_clock_mhz == 1980
    assert dict(dev.details)["compute_capability"] == "9.0"
    assert state["inits"] == 0  # gpu_facts() shut NVML down again

    src = GpuSource(pid)
    names = [s.name for s in src.specs()]
    assert names == [
        "gpu0.util",
        "gpu0.mem-util",
        "gpu0.mem-used",
        "gpu0.mem-total",
        "gpu0.clock-sm",
        "gpu0.clock-mem",
        "gpu0.temp",
        "gpu0.proc-mem",
    ]
    (power,) = src.unsupported()
    assert power.name == "gpu0.power"
    assert power.reason == "NVML: Insufficient Permissions"
    assert "root" in power.fix
    assert all(s.kind == "gauge" for s in src.specs())
    values = src.read()
    assert values == {
        "gpu0.util": 37.0,
        "gpu0.mem-util": 12.0,
        "gpu0.mem-used": float(2 * 2**30),
        "gpu0.mem-total": float(80 * 2**30),
        "gpu0.clock-sm": 1755.0,
        "gpu0.clock-mem": 2619.0,
        "gpu0.temp": 41.0,
        "gpu0.proc-mem": float(512 * 2**20),  # its own entry, not the other PID's
    }
    # a metric that starts failing is left out, then dropped after three failures
    state["temp_fails"] = True
    for _ in range(3):
        assert "gpu0.temp" not in src.read()
    assert "gpu0.temp" not in [s.name for s in src.specs()]
    assert [u.name for u in src.unsupported()] == ["gpu0.power", "gpu0.temp"]
    assert src.unsupported()[1].reason == "NVML: Timeout (stopped)"
    assert src.read()["gpu0.util"] == 37.0
    assert state["inits"] == 1
    src.close()
    assert state["inits"] == 0

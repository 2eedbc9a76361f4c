"""The OpenCL tier on the REAL OpenCL devices of this machine (PoCL's CPU device here).

The probe runs as the tier detector runs it, ``python -m kernels.opencl probe`` in a
subprocess; every kernel runs through the real worker process (``python -m
kernels.worker``), once with the code a CPU device gets and once with the grid-strided /
local-memory-tiled code a GPU gets (``SOVPROF_OPENCL_ACCESS=strided``), so both paths are
checked against numpy here even without a GPU. Everything skips, saying why, only when
the probe finds no available OpenCL device.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from kernels import suite
from sovprof_testing import ROOT, cli_env

KERNELS = ("saxpy", "dot", "sum", "matmul", "softmax", "stencil", "histogram")
#: kernels whose GPU code differs from their CPU code (see kernels.opencl.host.chunked)
STRIDED = ("dot", "sum", "matmul", "softmax", "histogram")
#: sizes on top of each spec's test_sizes: 1, and non-multiples of 256 / of the 64-tile
EXTRA_SIZES: dict[str, list[int]] = {
    "saxpy": [1, 70001],
    "dot": [1],
    "sum": [1],
    "matmul": [17, 64, 65],
    "softmax": [],
    "stencil": [1, 2, 33],
    "histogram": [1],
}
PHASES = {"h2d_s", "kernel_s", "d2h_s"}
BROKEN = """
__kernel void vadd(__global const float *a, __global const float *b,
                   __global float *out, const uint n)
{
    out[get_global_id(0)] = a[get_global_id(0)] + undeclared_thing;
}
"""


def _probe(**env: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "kernels.opencl", "probe"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=cli_env(**env),
    )
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    rep = _probe()
    if not any(d["available"] for d in rep["devices"]):
        pytest.skip(f"no available OpenCL device: {rep['unavailable_reason']}")
    return rep


@pytest.fixture(scope="module")
def tier(report: dict[str, Any]) -> str:
    """An available CPU device (PoCL) when there is one, else the first available."""
    ok = [d for d in report["devices"] if d["available"]]
    cpus = [d for d in ok if d["type"] == "CPU"]
    return str((cpus or ok)[0]["tier"])


def _run_worker(kernel: str, tier: str, sizes: list[int], **env: str) -> list[dict[str, Any]]:
    job = {
        "kernel": kernel,
        "tier": tier,
        "sizes": sizes,
        "samples": 3,
        "warmup_s": 0.01,
        "max_s_per_size": 0.05,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "kernels.worker"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=cli_env(**env),
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    fatal = [e for e in events if e["event"] == "fatal"]
    assert not fatal, fatal
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert events[-1]["event"] == "done"
    return [e for e in events if e["event"] == "result"]


def _check_results(kernel: str, results: list[dict[str, Any]], sizes: list[int]) -> None:
    assert [r["size"] for r in results] == sizes
    for r in results:
        where = f"{kernel} at size {r['size']}"
        assert r.get("correct") is True, f"{where}: {r.get('error')} {r.get('detail', '')}"
        assert set(r["phases"]) == PHASES, where
        assert r["phases"]["kernel_s"] > 0, where
        assert all(v >= 0 for v in r["phases"].values()), where
        info = r["info"]
        assert info["work_group_size"] >= 1, where
        assert info["device"] and info["device_type"] in ("CPU", "GPU", "ACCELERATOR"), where


# --------------------------------------------------------------------------- probe


def test_probe_labels_and_proves_the_cpu_device(report: dict[str, Any]) -> None:
    assert report["unavailable_reason"] is None
    for dev in report["devices"]:
        p, d = dev["platform_index"], dev["device_index"]
        assert dev["tier"] == f"opencl:{p}:{d}"
        for key in ("platform", "device", "driver_version", "opencl_c_version"):
            assert isinstance(dev[key], str), key
        assert isinstance(dev["host_unified_memory"], bool)
        assert dev["compute_units"] >= 1 and dev["global_mem_bytes"] > 0
    pocl = [d for d in report["devices"] if "Portable Computing Language" in d["platform"]]
    if not pocl:
        pytest.skip("no PoCL platform here: nothing known to be a CPU device")
    for dev in pocl:
        if dev["device"].startswith(("pthread", "cpu")):
            assert dev["type"] == "CPU", dev
            assert dev["available"] is True, dev["problem"]
            assert dev["problem"] is None


def test_probe_without_any_platform_reports_why() -> None:
    # the ICD loader finds no driver in an empty vendors directory: PLATFORM_NOT_FOUND_KHR
    rep = _probe(OCL_ICD_VENDORS="/nonexistent-sovprof-icd-dir")
    assert rep["devices"] == []
    assert rep["unavailable_reason"], rep


def test_broken_source_reports_the_compiler_message(tier: str) -> None:
    from kernels import opencl

    good = opencl.prove_tier(tier)
    assert good == {"tier": tier, "available": True, "problem": None}
    bad = opencl.prove_tier(tier, BROKEN)
    assert bad["available"] is False
    assert "undeclared_thing" in bad["problem"], bad["problem"]
    ctx, _ = opencl.context_for(tier)
    with pytest.raises(opencl.BuildError) as err:
        opencl.build(ctx, BROKEN, "broken.cl")
    assert "undeclared_thing" in err.value.log
    assert "broken.cl" in str(err.value)


def test_missing_devices_and_kernels_fail_cleanly() -> None:
    from kernels import opencl

    missing = opencl.prove_tier("opencl:99:0")
    assert missing["available"] is False and "no platform 99" in missing["problem"]
    with pytest.raises(ValueError):
        opencl.parse_tier("opencl:0")
    with pytest.raises(opencl.OpenCLUnavailable):
        opencl.setup_for("saxpy", "opencl:0:99")
    with pytest.raises(ValueError, match="no OpenCL implementation"):
        opencl.setup_for("no-such-kernel", "opencl:0:0")


# --------------------------------------------------------------------------- kernels


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_is_correct_through_the_worker(kernel: str, tier: str) -> None:
    sizes = sorted({*suite.get(kernel).test_sizes, *EXTRA_SIZES[kernel]})
    results = _run_worker(kernel, tier, sizes)
    _check_results(kernel, results, sizes)


@pytest.mark.parametrize("kernel", STRIDED)
def test_gpu_code_path_is_correct_through_the_worker(kernel: str, tier: str) -> None:
    sizes = sorted({*suite.get(kernel).test_sizes, *EXTRA_SIZES[kernel]})
    results = _run_worker(kernel, tier, sizes, SOVPROF_OPENCL_ACCESS="strided")
    _check_results(kernel, results, sizes)
    info = results[0]["info"]
    if kernel == "matmul":
        assert info["variant"].startswith("tiled")
    if kernel == "softmax":
        assert info["variant"] == "one work-group per row"
    if "access" in info:
        assert info["access"].startswith("grid-stride")


# --------------------------------------------------------------------------- calibrate


def test_calibrate_returns_positive_figures(tier: str) -> None:
    from kernels import opencl

    cal = opencl.calibrate(tier)
    for key in (
        "h2d_bytes_per_s",
        "d2h_bytes_per_s",
        "launch_latency_s",
        "device_bandwidth_bytes_per_s",
        "peak_flops",
    ):
        value = cal[key]
        assert isinstance(value, float) and value > 0, (key, value)
    assert float(cal["launch_latency_s"]) < 1.0
    assert isinstance(cal["host_unified_memory"], bool)
    assert cal["device_type"] in ("CPU", "GPU", "ACCELERATOR")
    assert float(cal["calibrate_s"]) < 30

"""`sovprof tiers`, `bench`, `calibrate` and `select` through the real command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kernels import isa
from sovprof_testing import run_cli

POCL = Path("/etc/OpenCL/vendors/pocl.icd")


def _json(home: Path, *args: str, timeout: float = 240) -> dict:
    res = run_cli(*args, "--json", home=home, timeout=timeout)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _one_line_error(res: object, code: int = 1) -> str:
    assert res.returncode == code, (res.stdout, res.stderr)  # type: ignore[attr-defined]
    err = res.stderr.strip()  # type: ignore[attr-defined]
    assert err.startswith("sovprof: error: ") and "\n" not in err, err
    assert "Traceback" not in err
    return err


def test_tiers_finds_every_tier_this_machine_has(tmp_path: Path) -> None:
    doc = _json(tmp_path, "tiers")
    by_id = {t["id"]: t for t in doc["tiers"]}
    assert by_id["numpy"]["available"] and by_id["scalar"]["available"]
    assert by_id["scalar"]["evidence"]["asm"]["zmm"] == 0
    flags = isa.cpu_flags()
    expect = {"sse2": "xmm", "avx2": "ymm", "avx512": "zmm"} if isa.machine() == "x86_64" else {}
    for tier, reg in expect.items():
        lv = isa.level(tier)
        assert lv is not None
        if all(f in flags for f in lv.needs):
            assert by_id[tier]["available"], by_id[tier]
            assert by_id[tier]["evidence"]["asm"][reg] > 0
        else:
            assert not by_id[tier]["available"] and "CPU lacks" in by_id[tier]["problem"]
    ocl = [t for t in doc["tiers"] if t["kind"] == "opencl"]
    if POCL.exists():
        cpu = [t for t in ocl if t["evidence"].get("type") == "CPU" and t["available"]]
        assert cpu, ocl
        assert "GPU" not in cpu[0]["title"]
    elif os.environ.get("CI"):
        pytest.fail("CI must install pocl-opencl-icd (see .ci/run)")
    dask = by_id["dask"]
    assert dask["available"] and dask["evidence"]["workers"] >= 1, dask
    assert doc["fingerprint"]["numba"] and doc["fingerprint"]["cpu"]


def test_bench_json_results_baseline_and_listing(tmp_path: Path) -> None:
    args = ("bench", "--kernels", "saxpy", "--tiers", "scalar,avx2,numpy", "--sizes", "4k,64k",
            "--samples", "5")  # fmt: skip
    doc = _json(tmp_path, *args, "--save-baseline", "before")
    rows = doc["results"]
    assert {(r["tier"], r["size"]) for r in rows} == {
        (t, n) for t in ("scalar", "avx2", "numpy") for n in (4096, 65536)
    }
    for r in rows:
        for key in ("kernel", "tier", "size", "median_s", "ci_low_s", "ci_high_s", "gflops",
                    "gbps", "correct", "error"):  # fmt: skip
            assert key in r
        assert r["correct"] and r["error"] is None
        assert r["ci_low_s"] <= r["median_s"] <= r["ci_high_s"]
    avx2 = next(r for r in rows if r["tier"] == "avx2" and r["size"] == 65536)
    assert avx2["tier_verified"] and avx2["asm"]["counts"]["ymm"] > 0
    assert avx2["speedup_vs_scalar"] > 1.5
    again = _json(tmp_path, *args, "--baseline", "before")
    verdicts = {r["comparison"]["verdict"] for r in again["results"]}
    assert verdicts <= {"improved", "regressed", "no change"} and verdicts
    listing = _json(tmp_path, "bench", "--list")
    assert listing["baselines"] == {"before": doc["run"]}
    assert [r["id"] for r in listing["runs"]] == [doc["run"], again["run"]]


def test_bench_and_select_refuse_bad_input_in_one_line(tmp_path: Path) -> None:
    err = _one_line_error(run_cli("bench", "--kernels", "nope", home=tmp_path))
    assert "unknown kernel 'nope'" in err
    err = _one_line_error(run_cli("bench", "--tiers", "avx1024", home=tmp_path))
    assert "unknown tier 'avx1024'" in err
    _one_line_error(run_cli("bench", "--sizes", "12x", home=tmp_path), code=2)
    err = _one_line_error(run_cli("bench", "--kernels", "softmax", "--sizes", "1000",
                                  home=tmp_path))  # fmt: skip
    assert "multiple of" in err
    err = _one_line_error(run_cli("bench", "--baseline", "nothing", "--kernels", "saxpy",
                                  home=tmp_path))  # fmt: skip
    assert "no benchmark run or baseline 'nothing'" in err
    err = _one_line_error(run_cli("select", "--accuracy", home=tmp_path))
    assert "sovprof bench" in err
    err = _one_line_error(run_cli("select", "fft", "--size", "10", home=tmp_path))
    assert "unknown kernel" in err
    _one_line_error(run_cli("select", "dot", home=tmp_path), code=2)


def test_select_without_data_still_shows_batuta(tmp_path: Path) -> None:
    doc = _json(tmp_path, "select", "matmul", "--size", "1024", "--policy", "batuta")
    (d,) = doc["decisions"]
    assert d["tier_class"] == "simd" and "GPU rejected" in d["reason"]
    doc = _json(tmp_path, "select", "matmul", "--size", "20000", "--policy", "batuta")
    assert doc["decisions"][0]["tier_class"] == "gpu"


@pytest.mark.slow
def test_calibrate_then_bench_then_select_accuracy(tmp_path: Path) -> None:
    cal = _json(tmp_path, "calibrate", "--quick", "--tiers", "scalar,avx512")
    for tier in ("scalar", "avx512"):
        t = cal["tiers"][tier]
        assert t["peak_flops"] > 0 and t["call_overhead_s"] > 0
        assert all(v > 0 for v in t["bandwidth"]["triad"].values())
    assert cal["tiers"]["avx512"]["peak_flops"] > 2 * cal["tiers"]["scalar"]["peak_flops"]
    bench = _json(tmp_path, "bench", "--kernels", "saxpy,dot", "--tiers", "scalar,avx512",
                  "--sizes", "4k,64k,1M", "--samples", "5")  # fmt: skip
    assert all(r["roofline_pct"] and r["roofline_pct"] > 0 for r in bench["results"])
    acc = _json(tmp_path, "select", "--accuracy")
    assert set(acc["scores"]) == {"batuta", "batuta-moe", "calibrated"}
    assert acc["scores"]["calibrated"]["points"] == 6
    sel = _json(tmp_path, "select", "dot", "--size", "256k")
    cal_d = next(d for d in sel["decisions"] if d["policy"] == "calibrated")
    assert set(cal_d["predicted"]) == {"scalar", "avx512"}
    assert cal_d["tier"] == "avx512", cal_d["reason"]
    doc = json.loads((tmp_path / "selector-model.json").read_text())
    assert len(doc["cells"]) == 12 and doc["calibration"]["tiers"]
    # the calibrated model tracks the measured times: exactly at benchmarked sizes, and
    # within 2× at the middle size when that size is left out of its fit
    from kernels.selector import load_model

    model = load_model(tmp_path / "selector-model.json")
    assert model is not None
    for c in model.cells:
        pred = model.predict(c["kernel"], c["tier"], c["size"])
        assert pred is not None and pred.total_s == pytest.approx(c["median_s"], rel=0.01)
        if c["size"] == 65536:
            held = model.predict(c["kernel"], c["tier"], c["size"], leave_out=c["size"])
            assert held is not None and 0.5 < held.total_s / c["median_s"] < 2.0, (c, held)

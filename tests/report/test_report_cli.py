"""``sovprof report``: the real command line, its JSON, its one-line errors; and the
kernel-suite data a report takes from the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from report_helpers import HOSTILE, hostile_profile, run_report_cli, synthetic_profile

from app.core.report import kernels_sections, read_report
from app.core.store import Store


def _store(home: Path) -> Store:
    return Store(home / "sessions.sqlite")


def test_report_of_a_session_by_name_and_last(sovprof_home: Path, tmp_path: Path) -> None:
    with _store(sovprof_home) as store:
        store.save_profile(synthetic_profile(5_000, seed=2), "big run", "python big.py")
        sid = store.save_profile(hostile_profile(), HOSTILE[0], HOSTILE[1])
    out = tmp_path / "r.html"
    res = run_report_cli("last", "-o", str(out), "--json", home=sovprof_home)
    assert res.returncode == 0, res.stderr
    doc: dict[str, Any] = json.loads(res.stdout)
    assert doc["session"] == sid and doc["samples"] == 206
    assert doc["bytes"] == out.stat().st_size and doc["output"] == str(out)
    assert doc["sections"] == [
        "summary", "flame", "top", "waste", "timeline", "counters", "kernels", "selector",
    ]  # fmt: skip
    data = read_report(out.read_text(encoding="utf-8"))
    assert data["kernels"]["run"] is None  # no benchmark in this store
    assert data["selector"]["policies"] == ["batuta", "batuta-moe"]  # static ones only

    res = run_report_cli("big run", "-o", str(out), "--no-kernels", home=sovprof_home)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("wrote report of session 1 (5000 samples")
    data = read_report(out.read_text(encoding="utf-8"))
    assert "kernels" not in data and data["sections"][-1] == "counters"


def test_errors_are_one_line(sovprof_home: Path, tmp_path: Path) -> None:
    res = run_report_cli("last", "-o", str(tmp_path / "x.html"), home=sovprof_home)
    assert res.returncode == 1
    assert res.stderr.splitlines() == ["sovprof: error: no session 'last' (see `sovprof sessions`)"]
    with _store(sovprof_home) as store:
        store.save_profile(hostile_profile(), "h", "t")
    for out in (tmp_path / "missing" / "x.html", tmp_path):
        res = run_report_cli("1", "-o", str(out), home=sovprof_home)
        assert res.returncode == 1, res.stdout
        [line] = res.stderr.splitlines()
        assert line.startswith(f"sovprof: error: cannot write {out}")
    assert not list(tmp_path.glob(".*tmp-*"))
    res = run_report_cli("1", home=sovprof_home)
    assert res.returncode == 2 and "-o" in res.stderr


def _cell(kernel: str, tier: str, size: int, median: float) -> dict[str, Any]:
    return {
        "kernel": kernel, "tier": tier, "size": size, "correct": True, "error": None,
        "median_s": median, "ci_low_s": median * 0.95, "ci_high_s": median * 1.05,
        "samples": [median] * 5, "n_samples": 5, "flops": 2.0 * size, "bytes": 8.0 * size,
    }  # fmt: skip


def test_kernel_sections_take_the_latest_run_without_raw_samples(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        old = store.create_bench_run({"cpu": "old"}, {})
        store.add_bench_cell(old, _cell("sum", "scalar", 4096, 1.0))
        run = store.create_bench_run({"cpu": "test cpu"}, {"kernels": ["sum", "matmul"]})
        for n in (4096, 65536):
            store.add_bench_cell(run, _cell("sum", "scalar", n, n * 1e-9))
            store.add_bench_cell(run, _cell("sum", "numpy", n, n * 0.25e-9))
        for n in (64, 128):
            store.add_bench_cell(run, _cell("matmul", "scalar", n, n**3 * 1e-9))
            store.add_bench_cell(run, _cell("matmul", "numpy", n, n**3 * 1e-11))
        store.finish_bench_run(run, "complete")
        data = kernels_sections(store)
    k, sel = data["kernels"], data["selector"]
    assert k["run"]["id"] == run and k["run"]["fingerprint"] == {"cpu": "test cpu"}
    assert len(k["cells"]) == 8 and all("samples" not in c for c in k["cells"])
    speed = {(c["kernel"], c["tier"], c["size"]): c["speedup"] for c in k["cells"]}
    assert speed[("sum", "scalar", 4096)] == 1.0
    assert abs(speed[("sum", "numpy", 65536)] - 4.0) < 1e-9
    assert abs(speed[("matmul", "numpy", 128)] - 100.0) < 1e-6
    assert sel["grid"] == {"sum": [4096, 65536], "matmul": [64, 128]}
    assert sel["policies"] == ["batuta", "batuta-moe", "calibrated", "measured"]
    for policy in sel["policies"]:
        assert {(c["kernel"], c["size"]) for c in sel["maps"][policy]} == {
            ("sum", 4096), ("sum", 65536), ("matmul", 64), ("matmul", 128),
        }  # fmt: skip
    measured = {(c["kernel"], c["size"]): c["tier"] for c in sel["maps"]["measured"]}
    assert set(measured.values()) == {"scalar"}  # numpy is the reference, not a tier to pick
    assert sel["scores"]["measured"]["accuracy"] == 1.0
    assert sel["kernels"]["matmul"]["threshold"] is not None  # batuta's GPU crossover
    assert sel["kernels"]["sum"]["measured"]["numpy"][0][:2] == [4096, 4096 * 0.25e-9]

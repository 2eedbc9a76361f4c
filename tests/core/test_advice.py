"""Selector advice beside a real profile's hot numpy calls (real py-spy, real target)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from app.core.advice import advise, match
from app.core.model.calltree import FunctionRow
from app.core.selector_display import machine_for
from app.core.store import Store
from sovprof_testing import TARGETS, run_cli


@pytest.fixture(scope="module")
def numpy_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("advice-home")
    res = run_cli("record", "--duration", "3", "--json", "--", sys.executable,
                  str(TARGETS / "numpy_ops.py"), home=home)  # fmt: skip
    assert res.returncode == 0, res.stderr
    return home


def row(function: str, file: str) -> FunctionRow:
    return FunctionRow(0, function, file, 1, 1, 1)


def test_patterns() -> None:
    np_file = "/usr/lib/python3/site-packages/numpy/lib/_histograms_impl.py"
    assert match(row("histogram", np_file)) == "histogram"
    assert match(row("histogram", "/home/me/mystats.py")) is None  # user code of that name
    assert match(row("sgemm_kernel_direct_SKYLAKEX", "")) == "matmul"
    assert match(row("cblas_sdot", "")) == "dot"
    assert match(row("einsum", "/x/numpy/_core/einsumfunc.py")) == "matmul"


@pytest.mark.pyspy
def test_hot_numpy_calls_get_the_selectors_advice(numpy_session: Path) -> None:
    with Store(numpy_session / "sessions.sqlite") as store:
        profile = store.load_profile(store.resolve("last"))
    found = {a.kernel: a for a in advise(profile, None, machine_for(None))}
    assert "histogram" in found, [a.function for a in found.values()]
    hist = found["histogram"]
    assert hist.function == "histogram" and hist.total_share > 0.3
    assert set(hist.ranges) == {"batuta", "batuta-moe"}  # no calibration in this store
    # batuta-moe (medium complexity): Scalar at 4,096 elements, SIMD from 65,536
    moe = hist.ranges["batuta-moe"]
    assert moe[0].tier == "scalar" and moe[0].high == 4096 and moe[-1].tier != "scalar"
    assert "Histogram" in hist.sentence() and "batuta-moe" in hist.sentence()
    assert "matmul" in found  # np.einsum


@pytest.mark.pyspy
def test_select_session_cli(numpy_session: Path) -> None:
    res = run_cli("select", "--session", "last", "--json", home=numpy_session)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    kernels = {a["kernel"] for a in doc["advice"]}
    assert "histogram" in kernels
    text = run_cli("select", "--session", "last", home=numpy_session)
    assert "histogram is a Histogram" in text.stdout
    bad = run_cli("select", "--session", "nope", home=numpy_session)
    assert bad.returncode == 1 and bad.stderr.startswith("sovprof: error: no session")

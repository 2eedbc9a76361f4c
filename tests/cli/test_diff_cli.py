"""``sovprof diff`` end to end: real recordings of real targets, real benchmark runs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from diff_recordings import DiffStore, diff_store

from app.core.report import read_report
from sovprof_testing import run_cli

pytestmark = pytest.mark.pyspy
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> DiffStore:
    return diff_store(tmp_path_factory)


def _diff_json(store: DiffStore, *args: str) -> dict[str, Any]:
    res = run_cli("diff", *args, "--json", home=store.home)
    assert res.returncode == 0, res.stderr
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def _function(doc: dict[str, Any], name: str) -> dict[str, Any]:
    (row,) = [f for f in doc["functions"] if f["function"] == name]
    return row


def test_changed_functions_are_called_and_the_unchanged_one_is_noise(
    recorded: DiffStore,
) -> None:
    doc = _diff_json(recorded, "before", "after")
    hot, cold, steady = (_function(doc, n) for n in ("hot", "cold", "steady"))
    assert hot["verdict"] == "regressed" and hot["total"]["p_adjusted"] < 0.05
    assert cold["verdict"] == "improved" and cold["total"]["p_adjusted"] < 0.05
    assert 0.05 < hot["total"]["a"] < 0.2 and 0.3 < hot["total"]["b"] < 0.5
    assert hot["total"]["ci_low"] > 0.01 and cold["total"]["ci_high"] < -0.01
    assert steady["verdict"] == "noise" and abs(steady["total"]["delta"]) < 0.01
    assert hot["file"].endswith("diff_target.py") and hot["line"] > 0
    # a CPU-bound target: the load cannot say faster or slower, the shares moved
    assert doc["verdict"] == "inconclusive" and doc["load"]["saturated"] is True
    assert doc["functions"][0]["function"] in ("hot", "cold")  # called changes first


def test_json_shape(recorded: DiffStore) -> None:
    doc = _diff_json(recorded, str(recorded.ids["before"]), str(recorded.ids["after"]))
    assert doc["kind"] == "profiles" and doc["output"] is None
    assert {"verdict", "basis", "sentence", "a", "b", "load", "functions", "tree"} <= set(doc)
    assert doc["sentence"].startswith(doc["verdict"] + ":")
    assert doc["a"]["session"] == recorded.ids["before"] and doc["a"]["usable_windows"] >= 3
    row = doc["functions"][0]
    assert set(row) == {"function", "file", "line", "verdict", "total", "self", "samples", "load"}
    assert set(row["total"]) == {
        "a", "b", "delta", "ci_low", "ci_high", "p_value", "p_adjusted", "verdict",
    }  # fmt: skip
    tree = doc["tree"]
    n = len(tree["parent"])
    for col in ("function", "a_total", "b_total", "a_self", "b_self"):
        assert len(tree[col]) == n
    assert tree["parent"][0] == -1 and tree["a_total"][0] == doc["a"]["samples"]
    names = {tree["functions"][f][0] for f in tree["function"][1:]}
    assert {"hot", "cold", "steady", "main"} <= names
    for i in range(n):  # every node: total = self + children, on both sides
        kids = [j for j in range(n) if tree["parent"][j] == i]
        for side in ("a", "b"):
            assert tree[f"{side}_total"][i] == tree[f"{side}_self"][i] + sum(
                tree[f"{side}_total"][j] for j in kids
            )


def test_text_states_the_verdict_first(recorded: DiffStore) -> None:
    res = run_cli("diff", "before", "after", home=recorded.home)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("verdict: inconclusive: ")
    assert "hot" in lines[0] and "regressed" in lines[0]
    rows = {ln.split()[0]: ln for ln in lines if ln.split()[:1] in (["hot"], ["steady"])}
    assert "regressed" in rows["hot"] and "→" in rows["hot"]
    assert "noise" in rows["steady"]


def test_lower_cpu_load_is_an_overall_improvement(recorded: DiffStore) -> None:
    doc = _diff_json(recorded, "busy", "light")
    assert doc["verdict"] == "improved" and doc["basis"] == "cpu_load"
    load = doc["load"]
    assert load["saturated"] is False and load["p_value"] < 0.05
    assert 0.5 < load["a"] < 1.0 and load["b"] < 0.8 * load["a"] and load["change"] < -0.2
    back = _diff_json(recorded, "light", "busy")
    assert back["verdict"] == "regressed"


def _rgb(fill: str | None) -> tuple[int, int, int]:
    assert fill is not None and fill.startswith("#") and len(fill) == 7
    return int(fill[1:3], 16), int(fill[3:5], 16), int(fill[5:7], 16)


def test_svg_output_is_a_differential_flame_graph(recorded: DiffStore, tmp_path: Path) -> None:
    out = tmp_path / "diff.svg"
    res = run_cli("diff", "before", "after", "-o", str(out), home=recorded.home)
    assert res.returncode == 0, res.stderr
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG}svg"
    frames = {}
    for g in root.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        rect = g.find(f"{SVG}rect")
        if title is not None and rect is not None and title.text:
            frames[title.text.split("\n")[0]] = rect.get("fill")
    red, _, blue = _rgb(frames["hot"])
    assert red > blue + 60  # hot grew: red
    red, _, blue = _rgb(frames["cold"])
    assert blue > red + 60  # cold shrank: blue
    red, green, blue = _rgb(frames["steady"])
    assert max(red, green, blue) - min(red, green, blue) < 10  # unchanged: grey
    assert "inconclusive" in out.read_text("utf-8").split("</text>")[0]  # the verdict on top


def test_html_output_is_a_report_with_the_verdict_first(
    recorded: DiffStore, tmp_path: Path
) -> None:
    out = tmp_path / "diff.html"
    res = run_cli("diff", "before", "after", "-o", str(out), "--json", home=recorded.home)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["output"] == str(out)
    data = read_report(out.read_text("utf-8"))
    assert data["sections"] == ["verdict", "flame", "tables"]
    assert data["verdict"]["title"].startswith("Inconclusive: the target is CPU-bound")
    assert any("hot" in line and "regressed" in line for line in data["verdict"]["lines"])
    flame = data["flame"]
    names = [data["strings"][data["functions"]["name"][f]] for f in flame["fn"]]
    hot = names.index("hot")
    assert flame["delta"][hot] > 0.1 and flame["delta"][names.index("cold")] < -0.1
    assert sum(flame["self"]) == pytest.approx(flame["total"])
    rows = {r[0]: r for r in data["tables"][0]["rows"]}
    assert rows["hot"][5] == "regressed" and rows["steady"][5] == "noise"


def test_bench_runs_compare_cell_by_cell(recorded: DiffStore) -> None:
    home = recorded.home
    for extra in (["--save-baseline", "first"], []):
        res = run_cli(
            "bench", "--kernels", "saxpy", "--tiers", "scalar,numpy", "--quick", *extra,
            home=home,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
    doc = _diff_json(recorded, "--bench", "first", "latest")
    assert doc["kind"] == "bench" and doc["verdict"] in ("improved", "regressed", "no change",
                                                          "mixed")  # fmt: skip
    cells = doc["cells"]
    assert {(c["kernel"], c["tier"]) for c in cells} == {("saxpy", "scalar"), ("saxpy", "numpy")}
    for c in cells:
        assert c["verdict"] in ("improved", "regressed", "no change")
        assert 0 < c["comparison"]["p_value"] <= 1 and c["a_median_s"] > 0
    text = run_cli("diff", "--bench", "first", "latest", home=home)
    assert text.returncode == 0 and text.stdout.startswith("verdict: ")
    out = home / "bench.html"
    assert run_cli("diff", "--bench", "first", "latest", "-o", str(out), home=home).returncode == 0
    data = read_report(out.read_text("utf-8"))
    assert data["sections"] == ["verdict", "tables"] and len(data["tables"][0]["rows"]) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["before", "no-such-session"], "no session 'no-such-session'"),
        (["--bench", "no-such-run", "latest"], "no benchmark run or baseline 'no-such-run'"),
        (["before", "after", "-o", "diff.png"], "must end in .svg or .html"),
        (["before", "after", "-o", "/no/such/dir/d.html"], "no directory /no/such/dir"),
        (["--bench", "1", "2", "-o", "x.svg"], "no flame graph"),
    ],
)
def test_bad_input_is_one_line(recorded: DiffStore, args: list[str], message: str) -> None:
    res = run_cli("diff", *args, home=recorded.home)
    assert res.returncode in (1, 2)
    assert res.stdout == ""
    assert res.stderr.startswith("sovprof: error: ") and res.stderr.count("\n") == 1
    assert message in res.stderr


def test_a_missing_store_entry_exits_1(tmp_path: Path) -> None:
    res = run_cli("diff", "last", "last", home=tmp_path)
    assert res.returncode == 1 and res.stderr.startswith("sovprof: error: no session")

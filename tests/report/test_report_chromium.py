"""Reports opened in a real headless Chromium, driven over the DevTools protocol.

Every test checks that the page drew itself with no console error and made no
network request besides loading its own file.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cdp_client import Browser, Page, chromium_binary
from report_helpers import run_report_cli, synthetic_profile

from app.core.model.profile import Profile, Window
from app.core.report import (
    StringTable,
    profile_report,
    profile_sections,
    session_report,
    write_html,
)
from app.core.store import Store
from sovprof_testing import TARGETS, SpawnTarget, run_cli

ROW = 18  # px per flame-graph level, as report.js draws them


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if chromium_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with Browser() as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    p = browser.new_page()
    p.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
    )
    yield p
    browser.send("Target.closeTarget", {"targetId": p.target})


def open_report(page: Page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_ready()
    assert_clean(page, path)


def assert_clean(page: Page, path: Path) -> None:
    page.drain()
    assert page.console_errors == []
    assert page.requests == [path.as_uri()], "the report made network requests"


def svg_width(page: Page) -> float:
    return float(page.eval("document.getElementById('flame-svg').getAttribute('width')"))


def rect_attr(page: Page, node: int | str, attr: str) -> float:
    expr = f"document.querySelector('rect[data-node=\"{node}\"]').getAttribute('{attr}')"
    return float(page.eval(expr))


def matched_share(profile: Profile, needle: str) -> float:
    """Share of samples with a function whose name or file contains ``needle``."""
    q = needle.lower()
    hit = {
        i
        for i, (name, file) in enumerate(profile.frames.functions)
        if q in name.lower() or q in file.lower()
    }
    fn_of = profile.frames.frame_function
    covered = sum(
        n
        for s, n in profile.stack_counts().items()
        if any(fn_of[f] in hit for f in profile.stacks.frames_of(s))
    )
    return covered / profile.total_samples


def test_flame_graph_zooms_searches_and_toggles(page: Page, tmp_path: Path) -> None:
    profile = synthetic_profile(30_000, threads=3, stacks=3_000, seed=11)
    report = profile_report(profile)
    path = tmp_path / "synthetic.html"
    write_html(path, report.title, report.data, report.sections)
    open_report(page, path)
    width = svg_width(page)
    assert rect_attr(page, "root", "width") == width

    # a frame a fifth to a half as wide as the graph, below the root level
    node = page.eval(
        "(() => { const W = +document.getElementById('flame-svg').getAttribute('width');"
        " const r = [...document.querySelectorAll('rect.frame')].find(e => {"
        " const w = +e.getAttribute('width'); return e.dataset.depth === '2'"
        " && w > W / 5 && w < W / 2; }); return r ? +r.dataset.node : null; })()"
    )
    assert node is not None
    before = rect_attr(page, node, "width")
    name = page.eval(f"sovprofReport.flame.ctx.fnName(sovprofReport.flame.fn[{node}])")
    page.click(*page.center_of(f'rect[data-node="{node}"]'))
    page.wait_for(lambda: page.eval("sovprofReport.flame.focus") == node, what="the zoom")
    assert rect_attr(page, node, "width") == width  # the zoomed frame spans the graph
    crumbs = page.eval(
        "[...document.querySelectorAll('#flame-crumbs button')].map(b => b.textContent)"
    )
    assert crumbs[0] == "all" and crumbs[-1] == name
    kid = page.eval(
        f"(() => {{ const f = sovprofReport.flame; const k = [...f.kids({node})]"
        " .sort((a, b) => f.total[b] - f.total[a])[0]; return k === undefined ? null : k; })()"
    )
    if kid is not None:  # children grow by the zoom factor
        ratio = rect_attr(page, kid, "width") / width
        total = page.eval(f"sovprofReport.flame.total[{kid}] / sovprofReport.flame.total[{node}]")
        assert abs(ratio - total) < 0.01
    page.click(*page.center_of("#flame-reset"))
    page.wait_for(lambda: page.eval("sovprofReport.flame.focus") == -1, what="the reset")
    assert abs(rect_attr(page, node, "width") - before) < 0.01

    # search: highlights and says how much of the samples matched
    needle = "parse_1"
    page.click(*page.center_of("#flame-search"))
    page.type_text(needle)
    page.wait_for(
        lambda: "% matched" in page.eval("document.getElementById('flame-match').textContent"),
        what="the search result",
    )
    text = page.eval("document.getElementById('flame-match').textContent")
    assert page.eval("document.querySelectorAll('rect.frame.match').length") > 0
    shown = float(text.split("%")[0])
    assert abs(shown - 100 * matched_share(profile, needle)) <= 0.051

    # flame (root at the bottom) and icicle (root at the top)
    height = float(page.eval("document.getElementById('flame-svg').getAttribute('height')"))
    assert rect_attr(page, "root", "y") == height - ROW
    page.click(*page.center_of('button[data-mode="icicle"]'))
    page.wait_for(lambda: rect_attr(page, "root", "y") == 0, what="the icicle layout")

    # tooltip on hover
    page.hover(*page.center_of(f'rect[data-node="{node}"]'))
    page.wait_for(lambda: page.eval("!document.getElementById('tooltip').hidden"), what="tooltip")
    assert page.eval("document.querySelector('#tooltip .tt-title').textContent") == name

    # the thread filter: the root holds that thread's samples only
    page.eval(
        "(() => { const s = document.getElementById('flame-thread'); s.value = '1';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    assert page.eval("sovprofReport.flame.rootTotal") == profile.thread_totals()[1]

    # the top-functions table sorts by a clicked column
    page.click(*page.center_of("#top th[data-col='4']"))
    totals = page.eval(
        "[...document.querySelectorAll('#top tbody tr')].slice(0, 20)"
        ".map(tr => +tr.children[4].textContent.replace(/,/g, ''))"
    )
    assert totals == sorted(totals, reverse=True) and totals[0] == max(report.data["top"]["total"])
    assert_clean(page, path)


def test_a_comparison_report_with_verdict_tables_and_a_differential_flame(
    page: Page, tmp_path: Path
) -> None:
    profile = synthetic_profile(5_000, threads=2, stacks=300, seed=4)
    strings = StringTable()
    data = profile_sections(profile, strings)
    n = len(data["flame"]["fn"])
    data["flame"]["delta"] = [(-1) ** i * (i % 7) / 100 if i % 5 else None for i in range(n)]
    data["strings"] = strings.strings
    data["verdict"] = {"kind": "regressed", "title": "Regressed: 12 % slower", "lines": ["x"]}
    data["tables"] = [
        {
            "title": "Per function",
            "columns": [{"title": "function"}, {"title": "change", "kind": "signed_pct"}],
            "rows": [["<script>window.__pwned=1</script>", 0.12], ["b", -0.03]],
            "sort": [1, True],
        }
    ]
    path = tmp_path / "cmp.html"
    write_html(path, "A vs B", data, ["verdict", "flame", "tables"])
    open_report(page, path)
    assert (
        page.eval("document.querySelector('#verdict h2').textContent") == data["verdict"]["title"]
    )
    assert page.eval("document.querySelector('#verdict').className") == "verdict regressed"
    fills = page.eval(
        "[...document.querySelectorAll('rect.frame')].map(r => r.getAttribute('fill'))"
    )
    assert any(f.startswith("rgb(") for f in fills)
    cells = page.eval("[...document.querySelectorAll('#tables td')].map(td => td.textContent)")
    assert cells[:2] == ["<script>window.__pwned=1</script>", "+12.0 %"]
    assert page.eval("typeof window.__pwned") == "undefined"
    assert_clean(page, path)


def test_empty_session_and_store_still_draw(page: Page, tmp_path: Path) -> None:
    idle = Profile(rate_hz=100.0)
    idle.add_window(Window(10.0, 11.0, 100))
    with Store(tmp_path / "s.sqlite") as store:
        for i, profile in enumerate((Profile(), idle)):
            report = session_report(store, store.save_profile(profile, f"empty {i}", "nothing"))
            path = tmp_path / f"empty{i}.html"
            write_html(path, report.title, report.data, report.sections)
            page.requests.clear()
            open_report(page, path)
            notes = page.eval("[...document.querySelectorAll('.note')].map(n => n.textContent)")
            assert "No samples were recorded." in notes
            assert any("No benchmark run in this store yet" in n for n in notes)
            assert page.eval("document.querySelectorAll('#selector .map').length") == 2


@pytest.mark.pyspy
def test_hostile_names_of_a_real_target_render_as_text(
    page: Page, spawn_target: SpawnTarget, sovprof_home: Path, tmp_path: Path
) -> None:
    sys.path.insert(0, str(TARGETS))
    try:
        import hostile_names as hn
    finally:
        sys.path.remove(str(TARGETS))
    target = spawn_target("hostile_names", "30", str(tmp_path))
    rec = run_cli(
        "record", "--pid", str(target.pid), "--duration", "2", "--json", home=sovprof_home
    )
    assert rec.returncode == 0, rec.stderr
    assert json.loads(rec.stdout)["top"][0]["function"] == hn.SCRIPT_NAME
    path = tmp_path / "hostile.html"
    res = run_report_cli("last", "-o", str(path), "--no-kernels", home=sovprof_home)
    assert res.returncode == 0, res.stderr
    open_report(page, path)

    def pwned() -> object:
        return page.eval("typeof window.__pwned === 'undefined' ? null : window.__pwned")

    assert pwned() is None
    assert page.eval("document.querySelectorAll('img').length") == 0
    assert page.eval("document.scripts.length") == 2  # the data and the report's own code
    cells = page.eval("[...document.querySelectorAll('#top td.fn')].map(td => td.textContent)")
    assert hn.SCRIPT_NAME in cells and hn.PLAIN_NAME in cells
    locations = page.eval("[...document.querySelectorAll('#top td.loc')].map(t => t.textContent)")
    assert any(hn.FILE_NAME in loc for loc in locations)
    options = page.eval("[...document.querySelectorAll('#flame-thread option')].map(o => o.text)")
    assert any(hn.THREAD_NAME in o for o in options)
    legend = page.eval("document.querySelector('#timeline .legend').textContent")
    assert hn.THREAD_NAME in legend

    # find the hostile function by search, hover it, zoom into it
    page.click(*page.center_of("#flame-search"))
    page.type_text("<script>")
    page.wait_for(
        lambda: "% matched" in page.eval("document.getElementById('flame-match').textContent"),
        what="the search result",
    )
    node = page.eval("+document.querySelector('rect.frame.match').dataset.node")
    assert page.eval(f"sovprofReport.flame.ctx.fnName(sovprofReport.flame.fn[{node}])") == (
        hn.SCRIPT_NAME
    )
    page.hover(*page.center_of(f'rect[data-node="{node}"]'))
    page.wait_for(lambda: page.eval("!document.getElementById('tooltip').hidden"), what="tooltip")
    tip = page.eval("document.getElementById('tooltip').textContent")
    assert hn.SCRIPT_NAME in tip and hn.FILE_NAME in tip
    page.click(*page.center_of(f'rect[data-node="{node}"]'))
    page.wait_for(lambda: page.eval("sovprofReport.flame.focus") == node, what="the zoom")
    crumbs = page.eval("document.getElementById('flame-crumbs').textContent")
    assert hn.SCRIPT_NAME in crumbs and hn.PLAIN_NAME in crumbs
    labels = page.eval("[...document.querySelectorAll('#flame-svg text')].map(t => t.textContent)")
    assert any(hn.SCRIPT_NAME.startswith(t.rstrip("…")) for t in labels if t.startswith("<script"))
    assert pwned() is None
    assert page.eval("document.querySelectorAll('img').length") == 0
    assert_clean(page, path)


@pytest.mark.slow
def test_kernel_suites_and_selector_from_a_real_benchmark(
    page: Page, sovprof_home: Path, tmp_path: Path
) -> None:
    for args in (
        ("calibrate", "--quick", "--tiers", "scalar"),
        ("bench", "--quick", "--kernels", "sum,matmul", "--tiers", "scalar,numpy"),
        ("record", "--demo", "--duration", "2"),
    ):
        res = run_cli(*args, home=sovprof_home, timeout=300)
        assert res.returncode == 0, res.stderr
    path = tmp_path / "kernels.html"
    res = run_report_cli("last", "-o", str(path), "--json", home=sovprof_home)
    assert res.returncode == 0, res.stderr
    assert "kernels" in json.loads(res.stdout)["sections"]
    open_report(page, path)
    tabs = page.eval(
        "[...document.querySelectorAll('#kernels .tabs button')].map(b => b.dataset.tab)"
    )
    assert tabs == ["sum", "matmul"]
    assert page.eval("document.querySelectorAll('#kernels figure.chart circle').length") > 0
    page.click(*page.center_of('#kernels .tabs button[data-tab="matmul"]'))
    caption = page.eval("document.querySelector('#kernels figure.chart figcaption').textContent")
    assert caption.startswith("Matrix product")
    cells = page.eval("sovprofReport.data.kernels.cells.length")
    assert cells >= 2 * 2 * 3  # kernels × tiers × sizes
    assert page.eval("[...document.querySelectorAll('#kernels table.data')].at(-1).tBodies[0]"
                     ".rows.length") == cells  # fmt: skip
    policies = page.eval(
        "[...document.querySelectorAll('#selector .map')].map(m => m.dataset.policy)"
    )
    assert policies == ["batuta", "batuta-moe", "calibrated", "measured"]
    points = page.eval("Object.values(sovprofReport.data.selector.grid).flat().length")
    assert points == cells // 2  # two tiers per point
    assert page.eval("document.querySelectorAll('#selector td.cell').length") == 4 * points
    assert page.eval("document.querySelectorAll('#selector tbody tr').length") >= 4  # scores
    assert page.eval("document.querySelectorAll('#selector figure.chart path').length") > 0
    assert_clean(page, path)


@pytest.mark.slow
def test_a_million_samples_stay_small_and_open(page: Page, tmp_path: Path) -> None:
    profile = synthetic_profile(1_000_000, threads=4)
    report = profile_report(profile)
    path = tmp_path / "million.html"
    size = write_html(path, report.title, report.data, report.sections)
    assert size < 5_000_000
    open_report(page, path)
    assert page.eval("sovprofReport.flame.rootTotal") == 1_000_000
    assert page.eval("document.querySelectorAll('#flame-svg rect').length") > 10


@pytest.fixture(scope="module")
def allocations_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a real session recorded with --allocations."""
    home = tmp_path_factory.mktemp("alloc-home")
    rec = run_cli(
        "record", "--allocations", "--duration", "2", "--",
        sys.executable, str(TARGETS / "alloc_hot_loop.py"), home=home, timeout=180,
    )  # fmt: skip
    assert rec.returncode == 0, rec.stderr
    path = home / "allocations.html"
    res = run_report_cli("last", "-o", str(path), "--no-kernels", "--json", home=home)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["sections"][-2:] == ["counters", "allocations"]
    return path


@pytest.mark.pyspy
def test_waste_and_allocations_of_a_real_session(page: Page, allocations_report: Path) -> None:
    path = allocations_report
    open_report(page, path)
    nav = page.eval("[...document.querySelectorAll('#nav a')].map(a => a.textContent)")
    assert nav == ["Summary", "Flame graph", "Top functions", "Waste", "Timeline", "Counters",
                   "Allocations"]  # fmt: skip

    # waste: the bar's segments add up to the whole, one card per class, the top frames
    data = page.eval("sovprofReport.data.waste")
    widths = page.eval(
        "[...document.querySelectorAll('#waste .waste-bar:not(.mini) > span')]"
        ".map(s => parseFloat(s.style.width))"
    )
    assert abs(sum(widths) - 100.0) < 0.01 and len(widths) >= 1
    assert page.eval("document.querySelectorAll('#waste .stat').length") == 3
    compute = page.eval("document.querySelector('#waste .class-compute .value').textContent")
    assert compute == f"{100 * data['shares']['compute']:.1f} %"
    causes = page.eval(
        "[...document.querySelectorAll('#waste .cause-list[data-class=compute] .fn')]"
        ".map(e => e.textContent)"
    )
    assert {"crunch", "build_buffers"} <= set(causes)
    page.click(*page.center_of("#waste .cause-list[data-class=compute] .cause"))
    assert page.eval("document.getElementById('flame-search').value") == causes[0]

    # allocations: the hot loop with its reason, both flame graphs, the rate, the table
    finding = page.eval("document.querySelector('#allocations .finding').dataset.function")
    assert finding == "build_buffers"
    why = page.eval("document.querySelector('#allocations .finding .why').textContent")
    assert why.startswith("build_buffers has") and "allocate once outside the loop" in why
    summary = page.eval("sovprofReport.data.allocations.summary")
    assert page.eval("sovprofReport.allocFlame.rootTotal") == summary["total_bytes"]
    assert page.eval("document.querySelectorAll('#alloc-svg rect.frame').length") > 1
    labels = page.eval("[...document.querySelectorAll('#alloc-svg text')].map(t => t.textContent)")
    assert "build_buffers" in labels
    page.click(*page.center_of('#alloc-mode button[data-mode="count"]'))
    page.wait_for(
        lambda: page.eval("sovprofReport.allocFlame.rootTotal") == summary["total_allocations"],
        what="the count flame graph",
    )
    assert summary["total_allocations"] != summary["total_bytes"]
    assert page.eval("document.querySelectorAll('#alloc-svg').length") == 1
    assert page.eval("document.querySelector('#alloc-svg rect.frame').getAttribute('width')")
    axis = page.eval("document.querySelector('#allocations figure.chart .axis-title:last-of-type')"
                     ".textContent")  # fmt: skip
    assert axis == "allocations / s"
    assert page.eval("document.querySelectorAll('#allocations figure.chart path').length") >= 1
    first = page.eval("document.querySelector('#alloc-top tbody tr td.fn').textContent")
    assert first == "build_buffers"
    page.click(*page.center_of("#alloc-top tbody tr"))
    assert page.eval("document.getElementById('alloc-search').value") == "build_buffers"
    assert page.eval("document.querySelectorAll('#alloc-svg rect.match').length") >= 1
    page.click(*page.center_of('#alloc-mode button[data-mode="bytes"]'))
    page.wait_for(
        lambda: page.eval("sovprofReport.allocFlame.rootTotal") == summary["total_bytes"],
        what="the bytes flame graph",
    )
    assert page.eval("document.getElementById('alloc-search').value") == "build_buffers"
    assert page.eval("document.querySelectorAll('[id]').length") == page.eval(
        "new Set([...document.querySelectorAll('[id]')].map(e => e.id)).size"
    )  # no id twice: the two flame graphs keep apart
    assert_clean(page, path)

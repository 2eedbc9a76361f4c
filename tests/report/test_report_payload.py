"""The report's payload, decoded in Python the way the report's JS decodes it, against
the profile it came from; its escaping, its CSP, pruning, and the generic writer."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from report_helpers import HOSTILE, hostile_profile, synthetic_profile

from app.core.allocations.model import (
    AllocationCapture,
    AllocationSeries,
    HotLoopFinding,
    allocating_functions,
    counts_view,
)
from app.core.model.calltree import build_calltree, top_functions
from app.core.model.profile import Profile, Window
from app.core.report import (
    PRUNED,
    SECTIONS,
    PruneOptions,
    profile_report,
    read_report,
    render_html,
    write_html,
)
from app.core.report.packing import safe_json
from app.core.waste import WasteClassifier, rules_for, waste_breakdown

# -- decoding, step by step as report.js does ------------------------------------------


class _Page(HTMLParser):
    """What the browser sees: the text of each <script>, <style> and the CSP meta."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.csp: str | None = None
        self._in: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a.get("content")
        if tag in ("script", "style"):
            self._in, self._text = (tag, a), []

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._in is not None and tag == self._in[0]:
            text = "".join(self._text)
            if tag == "script":
                self.scripts.append((self._in[1], text))
            else:
                self.styles.append(text)
            self._in = None


def parse_page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def decode_like_js(html: str) -> dict[str, Any]:
    """decodePayload() in report.js: the element's text → atob → inflate → JSON.parse."""
    page = parse_page(html)
    [(attrs, text)] = [(a, t) for a, t in page.scripts if a.get("id") == "sovprof-data"]
    assert attrs.get("type") == "application/octet-stream"
    assert attrs.get("data-encoding") == "zlib+base64"
    raw = base64.b64decode(text.strip(), validate=True)  # atob
    inflated = zlib.decompressobj().decompress(raw)  # DecompressionStream('deflate')
    data: dict[str, Any] = json.loads(inflated.decode("utf-8"))  # JSON.parse
    return data


def undelta(values: list[int]) -> list[int]:
    out, acc = [], 0
    for v in values:
        acc += v
        out.append(acc)
    return out


def flame_like_js(data: dict[str, Any], thread: int = -1) -> tuple[list[int], list[float]]:
    """FlameGraph's constructor and computeTotals(): parents and totals per node."""
    f = data["flame"]
    n = len(f["fn"])
    parent = [i - gap for i, gap in enumerate(f["parent_gap"])]
    if thread < 0:
        self_ = [float(v) for v in f["self"]]
    else:
        self_ = [0.0] * n
        t = next(t for t in f["threads"] if t["thread"] == thread)
        for node, c in zip(undelta(t["node"]), t["self"], strict=True):
            self_[node] += c
    total = list(self_)
    for i in range(n - 1, -1, -1):
        if parent[i] >= 0:
            total[parent[i]] += total[i]
    return parent, total


def node_paths(data: dict[str, Any], parent: list[int]) -> list[tuple[tuple[str, str], ...]]:
    s, fns = data["strings"], data["functions"]
    out: list[tuple[tuple[str, str], ...]] = []
    for i, fn in enumerate(data["flame"]["fn"]):
        me = (s[fns["name"][fn]], s[fns["file"][fn]])
        out.append((*out[parent[i]], me) if parent[i] >= 0 else (me,))
    return out


def calltree_paths(profile: Profile) -> dict[tuple[tuple[str, str], ...], int]:
    tree = build_calltree(profile)
    out: dict[tuple[tuple[str, str], ...], int] = {}
    for node in range(1, len(tree)):
        path = tuple(profile.frames.functions[tree.key[n]] for n in tree.path(node))
        out[path] = tree.total[node]
    return out


# -- tests -----------------------------------------------------------------------------


def test_payload_decodes_like_the_js_and_matches_the_profile() -> None:
    profile = synthetic_profile(20_000, threads=3, stacks=2_000, seed=3)
    report = profile_report(profile)
    data = decode_like_js(render_html(report.title, report.data, report.sections))
    assert data["format"] == 1
    assert data["sections"] == ["summary", "flame", "top", "waste", "timeline"]
    assert data["flame"]["pruned"]["nodes"] == 0  # 20k samples: nothing under the threshold

    parent, total = flame_like_js(data)
    assert all(0 <= parent[i] < i or parent[i] == -1 for i in range(len(parent)))
    roots = sum(t for t, p in zip(total, parent, strict=True) if p < 0)
    assert roots == sum(data["flame"]["self"]) == profile.total_samples == data["flame"]["total"]
    for t, expected in enumerate(profile.thread_totals()):
        _, per = flame_like_js(data, t)
        assert sum(x for x, p in zip(per, parent, strict=True) if p < 0) == expected

    # every node is a call path of the profile's call tree, with the same total
    decoded = dict(zip(node_paths(data, parent), total, strict=True))
    assert decoded == calltree_paths(profile)

    s, fns, top = data["strings"], data["functions"], data["top"]
    rows = top_functions(profile)
    assert top["functions"] == len(rows)
    got = [(s[fns["name"][fn]], s[fns["file"][fn]], line, a, b) for fn, line, a, b in
           zip(top["fn"], top["line"], top["self"], top["total"], strict=True)]  # fmt: skip
    shown = {(g[0], g[1]) for g in got}
    expected = [r for r in rows if (r.function, r.file) in shown]
    assert got == [(r.function, r.file, r.line, r.self_samples, r.total_samples) for r in expected]
    busiest = sorted(rows, key=lambda r: -r.total_samples)[:1000] + rows[:1000]
    assert {(r.function, r.file) for r in busiest} == shown  # the top 1000 by self and by total

    tl = data["timeline"]
    assert sum(sum(se["samples"]) for se in tl["series"]) == profile.total_samples
    assert sum(tl["expected"]) == profile.expected_samples
    sm = data["summary"]
    assert (sm["samples"], sm["lost"], sm["windows"]) == (
        profile.total_samples,
        profile.lost_samples,
        len(profile.windows),
    )
    assert read_report(render_html("t", report.data, report.sections))["flame"] == data["flame"]


def test_pruning_folds_small_paths_and_keeps_every_total() -> None:
    profile = synthetic_profile(200_000, threads=2, stacks=30_000, seed=5)
    report = profile_report(profile, prune=PruneOptions(min_share=1e-3, max_nodes=500))
    data = decode_like_js(render_html(report.title, report.data, report.sections))
    f = data["flame"]
    parent, total = flame_like_js(data)
    names = [data["strings"][data["functions"]["name"][fn]] for fn in f["fn"]]
    assert f["pruned"]["nodes"] > 0 and f["pruned"]["samples"] > 0
    assert f["pruned"]["kept"] <= 500
    assert len(f["fn"]) <= 500 + f["pruned"]["kept"] + 1  # at most one (pruned) per parent
    assert sum(f["self"]) == profile.total_samples
    for t, expected in enumerate(profile.thread_totals()):
        _, per = flame_like_js(data, t)
        assert sum(x for x, p in zip(per, parent, strict=True) if p < 0) == expected
    kept_paths = calltree_paths(profile)
    paths = node_paths(data, parent)
    for path, name, tot in zip(paths, names, total, strict=True):
        if name == PRUNED:
            continue
        assert tot >= f["pruned"]["min_samples"]
        assert kept_paths[path] == tot  # kept nodes keep their exact totals
    pruned = [i for i, n in enumerate(names) if n == PRUNED]
    assert len({parent[i] for i in pruned}) == len(pruned)  # one per parent
    assert not {parent[i] for i in range(len(parent))} & set(pruned)  # leaves
    assert sum(total[i] for i in pruned) == f["pruned"]["samples"]


def test_hostile_names_cannot_leave_the_data_element() -> None:
    report = profile_report(hostile_profile())
    html = render_html(HOSTILE[0], report.data, report.sections)
    page = parse_page(html)
    assert [a.get("id") for a, _ in page.scripts] == ["sovprof-data", None]
    assert html.lower().count("<script") == 2 and html.lower().count("</script") == 2
    assert "<img" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html  # the <title>, escaped
    data = decode_like_js(html)
    for name in HOSTILE:
        assert name in data["strings"]
    labels = {data["strings"][t["label"]] for t in data["threads"]}
    assert f"{HOSTILE[2]} (1)" in labels and f"{HOSTILE[3]} (2)" in labels


def test_safe_json_escapes_what_could_end_a_script() -> None:
    value = {"k": "</script><!-- \u2028\u2029 & >", "n": float("nan"), "i": [1, 2]}
    text = safe_json(value)
    assert not re.search("[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"k": value["k"], "n": None, "i": [1, 2]}


def test_content_security_policy_allows_only_the_inline_script_and_style() -> None:
    report = profile_report(hostile_profile())
    html = render_html("csp", report.data, report.sections)
    page = parse_page(html)
    assert page.csp is not None
    rules = dict(r.strip().split(" ", 1) for r in page.csp.split(";"))
    assert rules["default-src"] == "'none'" and rules["connect-src"] == "'none'"
    assert rules["img-src"] == "data:" and rules["base-uri"] == "'none'"
    [js] = [t for a, t in page.scripts if a.get("id") is None]
    [css] = page.styles

    def sha(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert rules["script-src"] == f"'sha256-{sha(js)}'"
    assert rules["style-src"] == f"'sha256-{sha(css)}'"
    assert "unsafe" not in page.csp
    assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write|eval\(", js)
    assert "new Function" not in js
    urls = set(re.findall(r"https?://[^\s'\"<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}  # a namespace name, never fetched


def test_write_html_serves_other_reports(tmp_path: Path) -> None:
    data = {
        "verdict": {"kind": "improved", "title": "Improved: 23 % faster", "lines": ["a", "b"]},
        "tables": [
            {
                "title": "Per function",
                "columns": [{"title": "function"}, {"title": "change", "kind": "signed_pct"}],
                "rows": [[HOSTILE[0], -0.23], ["b", 0.01]],
            }
        ],
    }
    out = tmp_path / "cmp.html"
    size = write_html(out, "comparison", data, ["verdict", "tables"])
    assert size == out.stat().st_size
    back = read_report(out.read_text(encoding="utf-8"))
    assert back["sections"] == ["verdict", "tables"] and back["tables"] == data["tables"]
    assert set(SECTIONS) >= {"verdict", "tables", "flame", "kernels", "selector"}
    with pytest.raises(ValueError, match="unknown report sections"):
        render_html("x", data, ["nope"])
    assert not list(tmp_path.glob(".*tmp*"))


def test_the_html_export_format_renders_a_profile_report() -> None:
    from app.core.formats.html import HtmlRenderer

    renderer = HtmlRenderer()
    assert (renderer.name, renderer.extension) == ("html", ".html")
    data = read_report(renderer.render(hostile_profile()).decode("utf-8"))
    assert data["sections"] == ["summary", "flame", "top", "waste", "timeline"]
    assert data["flame"]["total"] == hostile_profile().total_samples


# -- the waste and allocations sections --------------------------------------------------


def waste_profile() -> Profile:
    """Two threads: compute in main, a wait in threading.py, a copy in copy.py."""
    p = Profile(rate_hz=100.0)
    p.meta = {"name": "waste", "target": "waste.py"}
    main_thread = p.add_thread(1, 1, HOSTILE[2])
    worker = p.add_thread(1, 2, "worker")
    p.add_window(Window(0.0, 1.0, 200))
    m = p.frames.intern(HOSTILE[0], "/srv/app.py", 3)
    w = p.frames.intern("Condition.wait", "/usr/lib/python3.11/threading.py", 320)
    c = p.frames.intern("deepcopy", "/usr/lib/python3.11/copy.py", 128)
    s0, s1, s2 = p.stacks.intern([m]), p.stacks.intern([m, w]), p.stacks.intern([m, c])
    p.add_samples(0, main_thread, {s0: 50, s2: 20})
    p.add_samples(0, worker, {s1: 30})
    return p


def test_the_waste_section_decodes_to_the_breakdown() -> None:
    profile = waste_profile()
    report = profile_report(profile)
    data = decode_like_js(render_html(report.title, report.data, report.sections))
    w, s = data["waste"], data["strings"]
    expected = waste_breakdown(profile, WasteClassifier(rules_for(None))).as_dict()
    assert w["counts"] == expected["counts"] == {"compute": 50, "waiting": 30, "transport": 20}
    assert w["samples"] == profile.total_samples and w["shares"] == expected["shares"]
    assert [c["name"] for c in w["classes"]] == ["compute", "waiting", "transport"]
    assert all(c["color"].startswith("#") for c in w["classes"])
    threads = {s[t["label"]]: t["counts"] for t in w["threads"]}
    assert threads == {
        f"{HOSTILE[2]} (1)": {"compute": 50, "waiting": 0, "transport": 20},
        "worker (2)": {"compute": 0, "waiting": 30, "transport": 0},
    }
    for cls, causes in expected["causes"].items():
        got = [(s[k["function"]], s[k["file"]], k["line"], k["samples"], s[k["why"]])
               for k in w["causes"][cls]]  # fmt: skip
        assert got == [(k["function"], k["file"], k["line"], k["samples"], k["why"])
                       for k in causes]  # fmt: skip
    assert s[w["causes"]["waiting"][0]["function"]] == "Condition.wait"
    assert s[w["causes"]["compute"][0]["function"]] == HOSTILE[0]
    assert w["idle"] is False and w["problem"] == "" and w["rules"] >= w["user_rules"] == 0


def synthetic_capture(cpu: Profile) -> AllocationCapture:
    """An allocation capture over the synthetic profile's stacks: its samples as bytes,
    a count per stack that is not proportional to them, a timed series, one finding."""
    bytes_profile = synthetic_profile(8_000, threads=2, stacks=800, seed=9)
    counts = {
        key: {stack: 1 + (n * (stack % 7)) // 3 for stack, n in cell.items()}
        for key, cell in bytes_profile.counts.items()
    }
    series = AllocationSeries()
    t0 = cpu.start + 0.25
    for i in range(40):
        series.append(t0 + 0.1 * i, t0 + 0.1 * (i + 1), 100 + i, 4096 * (i + 1))
    capture = AllocationCapture(
        bytes_profile,
        counts_view(bytes_profile, counts),
        series,
        {"mode": "launch", "duration_s": 4.0, "peak_memory": 123456, "memray_version": "x",
         "hot_loop_thresholds": {"hot_self": 0.05}},
    )  # fmt: skip
    why = f"{HOSTILE[0]} allocates in a hot loop: allocate once outside the loop"
    capture.hot_loops = [
        HotLoopFinding(HOSTILE[0], HOSTILE[1], 7, 0.3, 0.4, 1000, 2**20, 250.0, 2**18, why)
    ]
    return capture


def test_the_allocations_section_decodes_to_the_capture() -> None:
    cpu = synthetic_profile(3_000, threads=2, stacks=300, seed=2)
    capture = synthetic_capture(cpu)
    report = profile_report(cpu, allocations=capture)
    assert report.sections == ["summary", "flame", "top", "waste", "timeline", "allocations"]
    html = render_html(report.title, report.data, report.sections)
    data = decode_like_js(html)
    a, s = data["allocations"], data["strings"]
    assert data["sections"] == report.sections
    sm = a["summary"]
    assert (sm["total_bytes"], sm["total_allocations"]) == (
        capture.total_bytes,
        capture.total_allocations,
    )
    assert sm["bytes_per_s"] == pytest.approx(capture.total_bytes / 4.0)
    assert sm["peak_memory"] == 123456 and sm["mode"] == "launch" and sm["timed"] is True

    # two flame trees, in bytes and in count: every node a call path with its total
    for key, profile in (("flame_bytes", capture.bytes_profile),
                         ("flame_count", capture.count_profile)):  # fmt: skip
        view = {"strings": s, "functions": a["functions"], "flame": a[key]}
        parent, total = flame_like_js(view)
        assert sum(a[key]["self"]) == a[key]["total"] == profile.total_samples
        assert dict(zip(node_paths(view, parent), total, strict=True)) == calltree_paths(profile)
    assert capture.total_bytes != capture.total_allocations

    # top allocating functions, own and total, by bytes and by count
    t, fns = a["top"], a["functions"]
    rows = allocating_functions(capture)
    assert t["functions"] == len(rows)
    got = [
        (s[fns["name"][fn]], s[fns["file"][fn]], line, sb, sc, tb, tc)
        for fn, line, sb, sc, tb, tc in zip(
            t["fn"], t["line"], t["self_bytes"], t["self_count"], t["total_bytes"],
            t["total_count"], strict=True,
        )
    ]  # fmt: skip
    shown = {(g[0], g[1]) for g in got}
    assert got == [
        (r.function, r.file, r.line, r.self_bytes, r.self_allocations, r.total_bytes,
         r.total_allocations)
        for r in rows
        if (r.function, r.file) in shown
    ]  # fmt: skip
    busiest = set()
    for key in (lambda r: -r.self_bytes, lambda r: -r.self_allocations, lambda r: -r.total_bytes):
        busiest |= {(r.function, r.file) for r in sorted(rows, key=key)[:500]}
    assert shown == busiest  # the top 500 by own bytes, own count and total bytes

    # the findings, names as text in the string table
    [hot] = a["hot_loops"]
    assert (s[hot["function"]], s[hot["file"]], hot["line"]) == (HOSTILE[0], HOSTILE[1], 7)
    assert s[hot["why"]].endswith("allocate once outside the loop")
    assert hot["allocations_per_s"] == 250.0 and hot["cpu_total_share"] == 0.4

    # the rate: seconds since the CPU profile's start, as the timeline
    r = a["rate"]
    assert r["timed"] is True and len(r["start"]) == 40 and r["per_bin"] == 1
    assert r["start"][0] == pytest.approx(0.25) and r["end"][-1] == pytest.approx(4.25)
    assert r["allocations_per_s"][0] == pytest.approx(1000.0)
    assert r["bytes_per_s"][-1] == pytest.approx(4096 * 40 / 0.1)
    assert r["span"] == pytest.approx(cpu.end - cpu.start, abs=1e-3)
    assert html.lower().count("<script") == 2  # hostile names stay inside the payload

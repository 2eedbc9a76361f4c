"""The static SVG flame graph: valid XML, widths in proportion, names that stay text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.core.diff import compare_profiles
from app.core.formats import RENDERERS
from app.core.formats.svg import (
    CHAR_PX,
    MIN_FRAME_PX,
    PAD_PX,
    ROW_PX,
    WIDTH_PX,
    diff_flame_svg,
    fit_text,
    xml_text,
)
from app.core.model.profile import Profile, Window
from app.core.store import Store
from formats_helpers import build_hostile_profile
from sovprof_testing import run_cli

NS = "{http://www.w3.org/2000/svg}"
renderer = RENDERERS["svg"]


def frames(svg: bytes) -> dict[str, list[dict[str, float | str]]]:
    """Function name → the frames drawn for it (x, y, width, fill, label, tooltip)."""
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    out: dict[str, list[dict[str, float | str]]] = {}
    for g in root.iter(f"{NS}g"):
        title, rect, text = g.find(f"{NS}title"), g.find(f"{NS}rect"), g.find(f"{NS}text")
        if title is None or rect is None:
            continue
        tip = title.text or ""
        out.setdefault(tip.split("\n")[0], []).append(
            {
                "x": float(rect.get("x", "nan")),
                "y": float(rect.get("y", "nan")),
                "width": float(rect.get("width", "nan")),
                "fill": rect.get("fill", ""),
                "label": "" if text is None else text.text or "",
                "tooltip": tip,
            }
        )
    return out


def simple_profile() -> Profile:
    """main → (work → hot 600 | cold 300) | idle 100, over two windows and two threads."""
    p = Profile(rate_hz=100.0, meta={"name": "simple"})
    t1, t2 = p.add_thread(1, 11, "MainThread"), p.add_thread(1, 12, "worker")
    main = p.frames.intern("main", "/home/u/app.py", 3)
    work = p.frames.intern("work", "/home/u/app.py", 9)
    hot = p.frames.intern("hot", "/home/u/hot.py", 12)
    cold = p.frames.intern("cold", "/usr/lib/python3.11/json/decoder.py", 20)
    idle = p.frames.intern("idle", "/home/u/app.py", 40)
    s = p.stacks.intern
    for w in range(2):
        p.add_window(Window(100.0 + w, 101.0 + w, 500))
        p.add_samples(w, t1, {s([main, work, hot]): 300, s([main, cold]): 100})
        p.add_samples(w, t2, {s([main, cold]): 50, s([main, idle]): 50})
    return p


def test_the_svg_renderer_is_in_the_table() -> None:
    assert renderer.name == "svg" and renderer.extension == ".svg"
    assert renderer.lossy and "\n" not in renderer.lossy
    svg = renderer.render(Profile())
    assert b"no samples" in svg and ET.fromstring(svg).tag == f"{NS}svg"


def test_widths_are_proportional_to_samples() -> None:
    p = simple_profile()
    svg = renderer.render(p)
    drawn = frames(svg)
    scale = (WIDTH_PX - 2 * PAD_PX) / p.total_samples
    expected = {"main": 1000, "work": 600, "hot": 600, "cold": 300, "idle": 100}
    assert set(drawn) == set(expected)
    for name, samples in expected.items():
        (f,) = drawn[name]
        assert f["width"] == pytest.approx(samples * scale - 0.5, abs=0.01), name
        assert f["label"] == name
        assert f"{samples:,} samples ({100 * samples / 1000:.2f} %)" in str(f["tooltip"])
    # root at the bottom, children above their parent and inside its x-range
    assert drawn["main"][0]["x"] == PAD_PX
    assert drawn["work"][0]["y"] == pytest.approx(float(drawn["main"][0]["y"]) - ROW_PX)
    assert drawn["hot"][0]["y"] == pytest.approx(float(drawn["work"][0]["y"]) - ROW_PX)
    assert "/home/u/hot.py:12" in str(drawn["hot"][0]["tooltip"])
    # coloured by module as in the app: same file, same colour; the stdlib's own
    assert drawn["main"][0]["fill"] == drawn["work"][0]["fill"] != drawn["cold"][0]["fill"]


def test_frames_under_a_tenth_of_a_pixel_are_folded() -> None:
    p = Profile(rate_hz=100.0)
    t = p.add_thread(1, 1, "main")
    p.add_window(Window(0.0, 1.0))
    root = p.frames.intern("root", "r.py", 1)
    big = p.frames.intern("big", "r.py", 2)
    stacks = {p.stacks.intern([root, big]): 1_000_000}
    for i in range(200):
        stacks[p.stacks.intern([root, p.frames.intern(f"tiny{i}", "r.py", 3)])] = 10
    p.add_samples(0, t, stacks)
    drawn = frames(renderer.render(p))
    assert set(drawn) == {"root", "big"}  # 10 samples of 1M are 0.01 px wide
    assert renderer.warnings(p) == [
        f"200 frames narrower than {MIN_FRAME_PX:g} px are folded into their parent"
    ]
    assert renderer.warnings(simple_profile()) == []


def test_hostile_names_stay_text() -> None:
    p = build_hostile_profile()
    svg = renderer.render(p)
    root = ET.fromstring(svg)  # parses: nothing broke out of its text node
    tags = {el.tag.removeprefix(NS) for el in root.iter()}
    assert tags <= {"svg", "g", "rect", "text", "title"}, tags
    attributes = {name for el in root.iter() for name in el.attrib}
    assert not {a for a in attributes if a.startswith("on") or "href" in a}  # no handlers, links
    raw = svg.decode("utf-8")
    assert "<script" not in raw and "<img" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert not re.search(r"<[^>]*\sonerror=", raw)  # only ever inside text
    tips = [t.text or "" for t in root.iter(f"{NS}title")]
    for name in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "semi;colon"):
        assert any(tip.startswith(name + "\n") for tip in tips), name
    assert any("two words" in tip for tip in tips) and any("é中文🔥" in tip for tip in tips)


def test_characters_xml_cannot_hold_are_replaced() -> None:
    assert xml_text("a\x00b\x1bc\ud800d & <e>") == "a\ufffdb\ufffdc\ufffdd &amp; &lt;e&gt;"
    p = Profile(rate_hz=10.0)
    t = p.add_thread(1, 1, "main\x00")
    p.add_window(Window(0.0, 1.0))
    p.add_samples(0, t, {p.stacks.intern([p.frames.intern("bad\x01\udcff", "f.py", 1)]): 5})
    (name,) = frames(renderer.render(p))
    assert name == "bad\ufffd\ufffd"


def test_labels_fit_their_frame() -> None:
    assert fit_text("abcdefgh", 8 * CHAR_PX) == "abcdefgh"
    assert fit_text("abcdefgh", 5 * CHAR_PX) == "abcd…"
    assert fit_text("中文中文", 5 * CHAR_PX) == "中文…"  # wide characters count double
    assert fit_text("line\nbreak", 20 * CHAR_PX) == "line break"
    assert fit_text("abc", 1 * CHAR_PX) == ""
    p = simple_profile()
    for items in frames(renderer.render(p)).values():
        for f in items:
            assert len(str(f["label"])) * CHAR_PX <= float(f["width"])


def test_the_differential_svg() -> None:
    a = simple_profile()
    b = simple_profile()
    hot = b.stacks.intern([b.frames.intern(n, *loc) for n, *loc in (
        ("main", "/home/u/app.py", 3), ("work", "/home/u/app.py", 9), ("hot", "/home/u/hot.py", 12)
    )])  # fmt: skip
    b.add_samples(0, 0, {hot: 1000})
    d = compare_profiles(a, b)
    svg = diff_flame_svg(d.tree, "diff <a> & <b>", d.sentence)
    drawn = frames(svg)
    assert set(drawn) == {"main", "work", "hot", "cold", "idle"}
    red = drawn["hot"][0]["fill"]
    blue = drawn["cold"][0]["fill"]
    assert int(str(red)[1:3], 16) > int(str(red)[5:7], 16)  # grew: red
    assert int(str(blue)[5:7], 16) > int(str(blue)[1:3], 16)  # shrank: blue
    assert "before 60.00 % (600 samples) → after 80.00 % (1,600 samples)" in str(
        drawn["hot"][0]["tooltip"]
    )
    assert b"diff &lt;a&gt; &amp; &lt;b&gt;" in svg


def test_export_cli_writes_svg(sovprof_home: Path, tmp_path: Path) -> None:
    with Store(sovprof_home / "sessions.sqlite") as store:
        sid = store.save_profile(simple_profile(), name="simple", target="test")
    out = tmp_path / "flame.svg"
    res = run_cli("export", str(sid), "--format", "svg", "-o", str(out), home=sovprof_home)
    assert res.returncode == 0, res.stderr
    assert set(frames(out.read_bytes())) == {"main", "work", "hot", "cold", "idle"}

"""Repaint time of the flame graph: one culled FlameGraphItem vs one item per frame.

Builds a synthetic profile whose call tree has ~100k nodes (deep chains and
wide fan-outs, heavy-tailed sample counts, ~30k distinct functions in ~60
modules), shows FlameGraphWidget offscreen at 1920×1080 and forces ``--repeat``
synchronous repaints of the view's viewport in each scenario (zoomed out,
zoomed on a frame, mouse-zoomed to 1 % of the width, search active), printing
the median and p95 of the whole repaint and of FlameGraphItem.paint() alone.
Goal: median repaint ≤ 16 ms (one frame at 60 Hz).

The naive approach it competes against is one QGraphicsRectItem per frame in a
QGraphicsScene (no labels, which would only make it slower): time to build the
scene, and median/p95 repaint of the same 1920×1080 view showing everything.

Run:  QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_flamegraph.py
      [--nodes 100000] [--naive-nodes 100000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import verdict
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
)

from app.core.model.calltree import build_calltree
from app.core.model.flame import (
    layout_flame,
    module_color,
    visible,
)
from app.core.model.frames import NO_PARENT
from app.core.model.profile import Profile, Window
from app.ui.flamegraph import FlameGraphWidget
from app.ui.state import ViewState

GOAL_MS = 16.0
WIDTH, HEIGHT = 1920, 1080
MAX_DEPTH = 120


def synthetic_profile(nodes: int, seed: int = 1) -> Profile:
    """A profile whose call tree has about ``nodes`` nodes, deep and wide."""
    rng = random.Random(seed)
    p = Profile(rate_hz=100)
    modules = [f"/srv/app/pkg{m}/mod{m}.py" for m in range(40)]
    modules += [f"/venv/lib/python3.11/site-packages/lib{m}/core.py" for m in range(15)]
    modules += [f"/usr/lib/python3.11/std{m}.py" for m in range(5)]
    n_funcs = max(10, nodes * 3 // 10)
    funcs = [(f"func_{i}_{'x' * (i % 17)}", modules[i % len(modules)]) for i in range(n_funcs)]
    thread = p.add_thread(1, 1, "MainThread")
    window = p.add_window(Window(0.0, 60.0, 0))
    stack_of = [NO_PARENT]  # node -> stack id (node 0 is the root)
    depth = [0]
    counts: dict[int, int] = {}
    for i in range(1, nodes + 1):
        back = int(rng.expovariate(1 / 40))
        parent = max(0, i - 1 - back) if rng.random() < 0.9 else rng.randrange(i)
        if depth[parent] >= MAX_DEPTH:
            parent = rng.randrange(i)
        name, file = funcs[rng.randrange(n_funcs)]
        frame = p.frames.intern(name, file, 1 + i % 400)
        sid = p.stacks.intern_child(stack_of[parent], frame)
        stack_of.append(sid)
        depth.append(depth[parent] + 1)
        counts[sid] = counts.get(sid, 0) + max(1, int(rng.paretovariate(1.2)))
    p.add_samples(window, thread, counts)
    return p


def dense_profile(columns: int, depth: int) -> Profile:
    """The worst case for culling: ``columns`` chains ``depth`` deep, each ~1 px wide."""
    p = Profile(rate_hz=100)
    thread = p.add_thread(1, 1, "MainThread")
    window = p.add_window(Window(0.0, 60.0, 0))
    counts: dict[int, int] = {}
    for c in range(columns):
        sid = NO_PARENT
        for d in range(depth):
            name = f"col{c}_level{d}"
            sid = p.stacks.intern_child(sid, p.frames.intern(name, f"/srv/m{c % 50}.py", d + 1))
        counts[sid] = 10
    p.add_samples(window, thread, counts)
    return p


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def stats(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


class PaintClock:
    """Wraps FlameGraphItem.paint to time the item's own share of a repaint."""

    def __init__(self, widget: FlameGraphWidget) -> None:
        self.ms: list[float] = []
        item = widget.item
        inner = item.paint

        def paint(*args: Any) -> None:
            t0 = time.perf_counter()
            inner(*args)
            self.ms.append((time.perf_counter() - t0) * 1000)

        item.paint = paint


def bench_item(profile: Profile, repeat: int, dense_only: bool = False) -> bool:
    state = ViewState()
    t0 = time.perf_counter()
    tree = build_calltree(profile)
    t1 = time.perf_counter()
    names = [f[0] for f in profile.frames.functions]
    layout = layout_flame(tree, None, names)
    t2 = time.perf_counter()
    layout.check(tree)
    print(
        f"tree: {len(tree) - 1:,} nodes, depth {layout.levels}, {profile.total_samples:,} samples,"
        f" {len(profile.frames.functions):,} functions"
    )
    print(f"build_calltree {1000 * (t1 - t0):.0f} ms, layout_flame {1000 * (t2 - t1):.0f} ms")

    widget = FlameGraphWidget(state)
    widget.resize(WIDTH, HEIGHT)
    widget.show()
    t0 = time.perf_counter()
    state.set_profile(profile)
    QApplication.processEvents()
    print(f"widget rebuild (tree + layout + item) {1000 * (time.perf_counter() - t0):.0f} ms")
    viewport = widget.view.viewport()
    print(f"view {viewport.width()}×{viewport.height()} px")
    clock = PaintClock(widget)
    lay = widget.layout_data
    # a zoom target: the widest frame at depth 3
    d3 = lay.level(3)
    target = d3.start + int(lay.width[d3].argmax())

    def zoom_in() -> None:
        widget.click_frame(target)

    def mouse_zoom() -> None:
        span = widget.layout_data.span
        widget.viewbox.setXRange(0.40 * span, 0.41 * span, padding=0)

    def search() -> None:
        t0 = time.perf_counter()
        widget.search_box.setText("func_1")
        print(f"  (search over the zoomed layout: {1000 * (time.perf_counter() - t0):.0f} ms)")

    scenarios: list[tuple[str, Callable[[], None]]] = [("zoomed out", lambda: None)]
    if not dense_only:
        scenarios += [
            ("zoomed in (click)", zoom_in),
            ("mouse zoom 1%", mouse_zoom),
            ("search + 1% zoom", search),
        ]
    ok = True
    print(f"\nFlameGraphItem ({repeat} repaints each, goal median ≤ {GOAL_MS:.0f} ms)")
    print(f"{'scenario':<20} {'frames':>7} {'labels':>7} {'repaint med':>12} {'p95':>7}"
          f" {'paint() med':>12} {'p95':>7}")  # fmt: skip
    for name, setup in scenarios:
        setup()
        QApplication.processEvents()
        viewport.repaint()  # warm up
        clock.ms.clear()
        ms = timed(viewport.repaint, repeat)
        med, p95 = stats(ms)
        pmed, pp95 = stats(clock.ms) if clock.ms else (float("nan"), float("nan"))
        ok = ok and med <= GOAL_MS
        print(
            f"{name:<20} {widget.item.painted_frames:>7,} {widget.item.painted_labels:>7,}"
            f" {med:>9.1f} ms {p95:>4.1f} ms {pmed:>9.1f} ms {pp95:>4.1f} ms"
        )
    grab = timed(widget.grab, 5)
    print(f"widget.grab() (whole widget into a pixmap): median {stats(grab)[0]:.1f} ms")
    vis = visible(lay, 0, lay.span, WIDTH)
    print(f"zoomed out, {len(lay) - vis.size:,} of {len(lay):,} frames culled (< 1 px)")
    widget.close()
    return ok


def bench_naive(profile: Profile, repeat: int) -> None:
    tree = build_calltree(profile)
    names = [f[0] for f in profile.frames.functions]
    lay = layout_flame(tree, None, names)
    funcs = profile.frames.functions
    brushes: dict[tuple[int, int, int], QBrush] = {}
    t0 = time.perf_counter()
    scene = QGraphicsScene()
    pen = QPen(Qt.PenStyle.NoPen)
    for x0, w, d, key in zip(
        lay.x0.tolist(), lay.width.tolist(), lay.depth.tolist(), lay.key.tolist(), strict=True
    ):
        name, file = funcs[key]
        rgb = module_color(file, name)
        brush = brushes.get(rgb)
        if brush is None:
            brush = brushes[rgb] = QBrush(QColor(*rgb))
        item = QGraphicsRectItem(x0, -(d + 1), w, 1)
        item.setBrush(brush)
        item.setPen(pen)
        item.setToolTip(name)
        scene.addItem(item)
    t_build = (time.perf_counter() - t0) * 1000
    view = QGraphicsView(scene)
    view.resize(WIDTH, HEIGHT)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.show()
    rows = HEIGHT / 18
    view.fitInView(QRectF(0, -rows, lay.span, rows), Qt.AspectRatioMode.IgnoreAspectRatio)
    QApplication.processEvents()
    t0 = time.perf_counter()
    view.viewport().repaint()
    first = (time.perf_counter() - t0) * 1000
    med, p95 = stats(timed(view.viewport().repaint, repeat))
    print(f"\nnaive: one QGraphicsRectItem per frame, {len(lay):,} items, no labels")
    print(f"build scene {t_build:.0f} ms, first repaint {first:.0f} ms,"
          f" repaint median {med:.1f} ms, p95 {p95:.1f} ms")  # fmt: skip
    view.close()
    scene.clear()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--naive-nodes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    t0 = time.perf_counter()
    profile = synthetic_profile(args.nodes)
    print(f"synthetic profile built in {time.perf_counter() - t0:.1f} s")
    ok = bench_item(profile, args.repeat)
    print("\nworst case: every frame ≥ 1 px (1,900 chains × 50 levels)")
    ok = bench_item(dense_profile(1900, 50), args.repeat, dense_only=True) and ok
    naive = profile if args.naive_nodes == args.nodes else synthetic_profile(args.naive_nodes)
    bench_naive(naive, max(5, args.repeat // 3))
    print(f"\n{verdict(ok)}: FlameGraphItem median repaint ≤ {GOAL_MS:.0f} ms in every scenario")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

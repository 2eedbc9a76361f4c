"""Static SVG flame graphs: the "svg" export format and the differential flame graph.

The file is one self-contained image: no script, no external reference, no font
to fetch; it opens in any browser or image viewer.  Frames are drawn root at the
bottom, coloured by module as in the app; each frame carries a ``<title>`` (the
browser's tooltip) with its function, file, line and samples.  Frames narrower
than :data:`MIN_FRAME_PX` are folded into their parent (the parent keeps their
width), which bounds the file's size whatever the profile.

Every name is written as XML character data: escaped, with characters XML cannot
hold replaced by U+FFFD, and never inside an attribute, so no name can add
markup, let alone a script.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Callable, Collection, Sequence
from xml.sax.saxutils import escape

import numpy as np

from app import __version__
from app.core.difftree import DIFF_STEPS, FADED, DiffTree, diff_ramp, node_buckets
from app.core.formats.base import Renderer
from app.core.model.calltree import build_calltree
from app.core.model.flame import (
    ELLIPSIS,
    FlameLayout,
    hottest_lines,
    layout_flame,
    module_color,
    visible,
)
from app.core.model.profile import Profile

WIDTH_PX = 1200.0
ROW_PX = 17.0
FONT_PX = 12.0
CHAR_PX = 0.602 * FONT_PX
"""Advance of one monospace character (DejaVu Sans Mono, Liberation Mono: 0.6 em)."""
MIN_FRAME_PX = 0.1
MIN_LABEL_CHARS = 3
PAD_PX = 10.0
TEXT_PAD_PX = 3.0
TITLE_PX = 17.0
FONT_FAMILY = "monospace"

RGB = tuple[int, int, int]
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` as XML character data: escaped, and with non-XML characters replaced."""
    return escape(_NOT_XML.sub("\ufffd", text))


def _columns(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def fit_text(text: str, room_px: float, char_px: float = CHAR_PX) -> str:
    """``text`` cut to ``room_px`` (wide characters count double), elided with "…"."""
    text = " ".join(text.split())  # line breaks and tabs would not render anyway
    cols = int(room_px // char_px)
    widths = [_columns(c) for c in text]
    if sum(widths) <= cols:
        return text
    if cols < 2:
        return ""
    used, cut = 0, 0
    for i, w in enumerate(widths):
        if used + w > cols - 1:
            break
        used += w
        cut = i + 1
    return text[:cut] + ELLIPSIS if cut else ""


def _rgb(c: RGB) -> str:
    return f"#{c[0]:02x}{c[1]:02x}{c[2]:02x}"


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def flame_svg(
    layout: FlameLayout,
    *,
    label: Callable[[int], str],
    tooltip: Callable[[int], str],
    fill: Callable[[int], RGB],
    title: str,
    subtitle: str = "",
    legend: Sequence[tuple[RGB, str]] = (),
    width: float = WIDTH_PX,
) -> bytes:
    """The SVG document of ``layout``; the callbacks take a layout index."""
    chart_w = width - 2 * PAD_PX
    sub_lines = textwrap.wrap(" ".join(subtitle.split()), int(chart_w // CHAR_PX))[:4]
    top = PAD_PX + TITLE_PX + 10 + len(sub_lines) * (FONT_PX + 4) + (ROW_PX if legend else 0)
    levels = max(layout.levels, 1)
    height = top + levels * ROW_PX + PAD_PX
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{_num(width)}" '
        f'height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}">\n',
        f'<g font-family="{FONT_FAMILY}" font-size="{_num(FONT_PX)}" fill="#111">\n',
        f'<rect width="{_num(width)}" height="{_num(height)}" fill="#fbfbfb"/>\n'
        f'<text x="{_num(PAD_PX)}" y="{_num(PAD_PX + TITLE_PX - 3)}" '
        f'font-size="{_num(TITLE_PX)}" font-weight="bold">{xml_text(title)}</text>\n',
    ]
    y = PAD_PX + TITLE_PX + 6
    for line in sub_lines:
        y += FONT_PX + 2
        out.append(f'<text x="{_num(PAD_PX)}" y="{_num(y)}">{xml_text(line)}</text>\n')
        y += 2
    if legend:
        out.append(_legend(legend, PAD_PX, y + 4))
    if len(layout) == 0:
        out.append(f'<text x="{_num(PAD_PX)}" y="{_num(top + FONT_PX)}">no samples</text>\n')
    else:
        out.extend(_frames(layout, label, tooltip, fill, chart_w, top))
    out.append("</g>\n</svg>\n")
    return "".join(out).encode("utf-8", "replace")


def _legend(entries: Sequence[tuple[RGB, str]], x: float, y: float) -> str:
    parts = []
    for colour, text in entries:
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="12" height="12" fill="{_rgb(colour)}" '
            f'stroke="#888" stroke-width="0.5"/><text x="{_num(x + 16)}" y="{_num(y + 10)}">'
            f"{xml_text(text)}</text>"
        )
        x += 16 + len(text) * CHAR_PX + 18
    return "".join(parts) + "\n"


def _frames(
    layout: FlameLayout,
    label: Callable[[int], str],
    tooltip: Callable[[int], str],
    fill: Callable[[int], RGB],
    chart_w: float,
    top: float,
) -> list[str]:
    """One ``<g>`` per frame at least MIN_FRAME_PX wide."""
    scale = chart_w / layout.span
    idx = visible(layout, 0.0, layout.span, chart_w, MIN_FRAME_PX)
    x0 = PAD_PX + layout.x0[idx] * scale
    widths = layout.width[idx] * scale
    ys = top + (layout.levels - 1 - layout.depth[idx]) * ROW_PX
    out = []
    for i, x, w, y in zip(idx.tolist(), x0.tolist(), widths.tolist(), ys.tolist(), strict=True):
        text = ""
        room = w - 2 * TEXT_PAD_PX
        if room >= MIN_LABEL_CHARS * CHAR_PX:
            shown = fit_text(label(i), room)
            if shown:
                text = (
                    f'<text x="{_num(x + TEXT_PAD_PX)}" y="{_num(y + ROW_PX - 5)}">'
                    f"{xml_text(shown)}</text>"
                )
        out.append(
            f'<g class="f"><title>{xml_text(tooltip(i))}</title>'
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(max(w - 0.5, 0.1))}" '
            f'height="{_num(ROW_PX - 1)}" rx="1" fill="{_rgb(fill(i))}"/>{text}</g>\n'
        )
    return out


def _pct(n: float, whole: float) -> str:
    return f"{100 * n / whole:.2f} %" if whole else "0 %"


def profile_flame_svg(profile: Profile, title: str | None = None) -> bytes:
    """The flame graph of every sample of ``profile``, coloured by module."""
    tree = build_calltree(profile)
    functions = profile.frames.functions
    names = [name for name, _ in functions]
    layout = layout_flame(tree, names=names)
    lines = hottest_lines(profile) if len(layout) else np.zeros(0, dtype=np.int64)
    colours: dict[int, RGB] = {}
    whole = float(max(layout.root_total, 1))

    def fill(i: int) -> RGB:
        key = int(layout.key[i])
        if key not in colours:
            name, file = functions[key]
            colours[key] = module_color(file, name)
        return colours[key]

    def tooltip(i: int) -> str:
        name, file = functions[int(layout.key[i])]
        line = int(lines[int(layout.key[i])]) if lines.size else 0
        where = f"{file}:{line}" if file and line else file or "(no file)"
        total, own = int(layout.node_total[i]), int(layout.self_count[i])
        return (
            f"{name}\n{where}\n{total:,} samples ({_pct(total, whole)}), "
            f"self {own:,} ({_pct(own, whole)})"
        )

    named = profile.meta.get("name")
    heading = title or (f"Flame graph: {named}" if isinstance(named, str) and named else "")
    threads = len({t for _, t in profile.counts})
    subtitle = (
        f"{profile.total_samples:,} samples, {threads} thread{'s' if threads != 1 else ''}, "
        f"{len(profile.windows)} window{'s' if len(profile.windows) != 1 else ''} over "
        f"{profile.duration:.1f} s at {profile.rate_hz:g} Hz; width = samples, colour = module "
        f"(sovprof {__version__})"
    )
    return flame_svg(
        layout,
        label=lambda i: names[int(layout.key[i])],
        tooltip=tooltip,
        fill=fill,
        title=heading or "Flame graph",
        subtitle=subtitle,
    )


def diff_flame_svg(
    diff: DiffTree, title: str, subtitle: str = "", significant: Collection[int] | None = None
) -> bytes:
    """The differential flame graph: width = mean share of A and B, red grew, blue shrank.

    With ``significant`` (function ids), the other functions' frames are faded.
    """
    names = [name for name, _ in diff.functions]
    layout = layout_flame(diff.tree, names=names)
    ramp = diff_ramp()
    buckets = node_buckets(diff, layout.node.tolist(), significant=significant)

    def tooltip(i: int) -> str:
        node = int(layout.node[i])
        name, file = diff.functions[diff.tree.key[node]]
        delta = 100 * diff.delta(node)
        return (
            f"{name}\n{file or '(no file)'}\n"
            f"before {100 * diff.share_a(node):.2f} % ({diff.a_total[node]:,} samples) → "
            f"after {100 * diff.share_b(node):.2f} % ({diff.b_total[node]:,} samples): "
            f"{delta:+.2f} points"
        )

    scale = diff.scale()
    legend = [
        (ramp[-1], f"grew {100 * scale:.0f}+ points"),
        (ramp[len(ramp) // 2], "unchanged"),
        (ramp[0], f"shrank {100 * scale:.0f}+ points"),
    ]
    if significant is not None:
        faded = DIFF_STEPS + round(DIFF_STEPS * FADED)
        legend.append((ramp[faded], "faded: change not significant"))
    return flame_svg(
        layout,
        label=lambda i: names[int(layout.key[i])],
        tooltip=tooltip,
        fill=lambda i: ramp[buckets[i]],
        title=title,
        subtitle=subtitle + (" " if subtitle else "") + "Width: mean share of before and after.",
        legend=legend,
    )


class SvgRenderer(Renderer):
    """A static flame graph image of every sample (threads and windows merged)."""

    name = "svg"
    extension = ".svg"
    description = "Static SVG flame graph (an image with tooltips; no script)"
    lossy = (
        "an SVG flame graph is a picture: threads, windows, times and lines are merged, and "
        f"frames narrower than {MIN_FRAME_PX:g} px are folded into their parent; export "
        "speedscope to keep everything"
    )

    def render(self, profile: Profile) -> bytes:
        return profile_flame_svg(profile)

    def warnings(self, profile: Profile) -> list[str]:
        if not profile.counts:
            return []
        layout = layout_flame(build_calltree(profile))
        kept = visible(layout, 0.0, layout.span, WIDTH_PX - 2 * PAD_PX, MIN_FRAME_PX).size
        folded = len(layout) - kept
        if folded <= 0:
            return []
        return [f"{folded} frames narrower than {MIN_FRAME_PX:g} px are folded into their parent"]

"""One self-contained HTML file from the template in ``resources/report/``.

The page inlines ``report.css`` and ``report.js`` (plain files, no build step) and the
packed data (:mod:`app.core.report.packing`).  Its Content-Security-Policy allows
exactly that inline script and style, by their SHA-256 hashes, and images only as
``data:`` URLs: nothing can be fetched, sent or navigated to.  The JS inserts every
name as text (``textContent`` and SVG text nodes), never as markup.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from app import __version__
from app.core.report.packing import ENCODING, FORMAT_VERSION, pack
from app.resources import resource

SECTIONS = (
    "verdict",
    "summary",
    "flame",
    "top",
    "waste",
    "timeline",
    "counters",
    "allocations",
    "kernels",
    "selector",
    "tables",
)
"""Every section the report's JS knows how to draw, in their usual order.

``verdict`` (a headline: ``{"verdict": {"kind": "improved"|"regressed"|"noise"|"info",
"title": str, "lines": [str]}}``) and ``tables`` (generic sortable tables:
``{"tables": [{"title", "note", "columns": [{"title", "kind": "text"|"int"|"float"|
"pct"|"time"|"signed_pct"}], "rows": [[...]], "sort": [column, descending]}],
"tables_title": str}``) exist for reports other than a session's, such as a
comparison; the others read the keys :func:`app.core.report.profile_sections`,
:func:`app.core.report.waste_data` (``data["waste"]``),
:func:`app.core.report.allocations_data` (``data["allocations"]``) and
:func:`app.core.report.kernels_sections` produce.

The allocations section carries its own ``functions`` table (the capture has frames of
its own) and two flame trees in the flame section's format, ``flame_bytes`` and
``flame_count``; its rate chart is in seconds since the CPU profile's start, as the
timeline.

A flame graph becomes differential when ``data["flame"]`` also has ``delta`` (one
signed number per node, e.g. the change of its share of samples; ``None`` where
unknown) and optionally ``delta_scale`` (the value drawn fully saturated): frames are
then red where they grew and blue where they shrank, and the tooltip shows the change.
"""

_PLACEHOLDERS = ("{{CSP}}", "{{TITLE}}", "{{CSS}}", "{{JS}}", "{{DATA}}", "{{ENCODING}}")


class ReportTemplateError(RuntimeError):
    """The report template is missing or broken (an installation problem)."""


def resources_dir() -> Path:
    """``report/`` in sovprof's resources (checkout, wheel or frozen app; see app.resources)."""
    return resource("report")


@lru_cache(maxsize=4)
def _template(directory: str) -> tuple[str, str, str]:
    d = Path(directory)
    try:
        page = (d / "report.html").read_text(encoding="utf-8")
        css = (d / "report.css").read_text(encoding="utf-8")
        js = (d / "report.js").read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportTemplateError(
            f"the report template is missing ({exc.filename}): reinstall sovprof"
        ) from None
    missing = [p for p in _PLACEHOLDERS if p not in page]
    if missing:
        raise ReportTemplateError(f"the report template lacks {', '.join(missing)}")
    if "</style" in css.lower() or "</script" in js.lower() or "<!--" in js:
        raise ReportTemplateError("the report's CSS or JS would end its own element")
    return page, css, js


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def content_security_policy(css: str, js: str) -> str:
    """Only the inline script and style themselves (by hash), images only as data: URLs."""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'sha256-{_sha256(js)}'",
            f"style-src 'sha256-{_sha256(css)}'",
            "img-src data:",
            "connect-src 'none'",
            "font-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


def render_html(title: str, data: Mapping[str, Any], sections: Sequence[str]) -> str:
    """The whole report page.

    ``data`` holds what the ``sections`` read (see :data:`SECTIONS`), plus ``strings``
    when names are given as string-table indices.  ``sections`` are drawn in that order.
    """
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown report sections {unknown} (known: {', '.join(SECTIONS)})")
    page, css, js = _template(str(resources_dir()))
    payload = {
        **data,
        "format": FORMAT_VERSION,
        "title": title,
        "sections": list(sections),
        "generated": time.time(),
        "generator": f"sovprof {__version__}",
    }
    payload.setdefault("strings", [])
    values = {
        "{{CSP}}": html.escape(content_security_policy(css, js), quote=True),
        "{{TITLE}}": html.escape(title, quote=True),
        "{{ENCODING}}": ENCODING,
        "{{CSS}}": css,
        "{{JS}}": js,
        "{{DATA}}": pack(payload),
    }
    out: list[str] = []
    rest = page
    while True:  # one pass, so no substituted text is ever scanned for placeholders
        starts = [(rest.find(p), p) for p in _PLACEHOLDERS if p in rest]
        if not starts:
            out.append(rest)
            break
        at, key = min(starts)
        out.append(rest[:at])
        out.append(values[key])
        rest = rest[at + len(key) :]
    return "".join(out)


def write_html(
    path: str | os.PathLike[str], title: str, data: Mapping[str, Any], sections: Sequence[str]
) -> int:
    """Write :func:`render_html` to ``path`` atomically; returns the bytes written."""
    blob = render_html(title, data, sections).encode("utf-8")
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(blob)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(blob)

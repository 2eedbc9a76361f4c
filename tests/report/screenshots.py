"""Screenshots of a report in headless Chromium (for the README and for looking at it).

Run:  .venv/bin/python tests/report/screenshots.py REPORT.html OUT_DIR [--search TEXT]

Writes ``report.png`` (summary and flame graph, with ``--search`` typed into the
flame graph's search box), ``report-kernels.png`` (the kernel suites),
``report-selector.png`` (the backend selector), and where the report has them
``report-waste.png`` and ``report-allocations.png``, each 1400 px wide.
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cdp_client import Browser, Page

WIDTH = 1400


def shoot(page: Page, path: Path, selector: str | None, height: int, pad: int = 12) -> None:
    """``height`` px from the top, or from ``selector``'s top to at most its bottom."""
    top = 0.0
    if selector is not None:
        box = page.eval(
            f"(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();"
            " return [r.top + scrollY, r.height]; })()"
        )
        top = max(0.0, float(box[0]) - 52 - pad)  # below the sticky header
        height = min(height, int(box[1]) + 52 + 2 * pad)
        page.eval(f"window.scrollTo(0, {top})")
    clip = {"x": 0, "y": top, "width": WIDTH, "height": height, "scale": 1}
    params = {"format": "png", "captureBeyondViewport": True, "clip": clip}
    data = page.send("Page.captureScreenshot", params, timeout=60)["data"]
    path.write_bytes(base64.b64decode(data))
    print(f"wrote {path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--search", default="")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with Browser() as browser:
        page = browser.new_page()
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
        )
        page.goto(args.report.resolve().as_uri())
        page.wait_ready()
        if args.search:
            page.eval(
                "(() => { const s = document.getElementById('flame-search');"
                f" s.value = {args.search!r}; sovprofReport.flame.setQuery(s.value); }})()"
            )
        shoot(page, args.out / "report.png", None, 1000)
        for section, height in (("waste", 900), ("allocations", 1900)):
            if page.eval(f"!!document.getElementById({section!r})"):
                shoot(page, args.out / f"report-{section}.png", f"#{section}", height)
        if page.eval("!!document.getElementById('kernels')"):
            shoot(page, args.out / "report-kernels.png", "#kernels", 1240)
        if page.eval("!!document.getElementById('selector')"):
            shoot(page, args.out / "report-selector.png", "#selector", 1700)
        if page.console_errors:
            print("console errors:", page.console_errors)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

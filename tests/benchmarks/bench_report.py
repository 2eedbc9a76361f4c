"""Size, write time and open time of the HTML report for 10k / 100k / 1M samples.

Builds synthetic profiles through the model API (a random prefix tree of stacks with
one distinct leaf stack per ~5 samples, up to 150k, Zipf-like counts, 4 threads,
1-second windows; see tests/report/report_helpers.py), writes each report with the
default pruning, and opens it in headless Chromium (when installed) over the
DevTools protocol: "open" is navigation start to the report's own "drawn" mark,
"draw" is the report's JS alone (decode + every section).
Goals: under 5 MB and under 2 s to open at 1M samples.

Run:  .venv/bin/python tests/benchmarks/bench_report.py [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "report"))

from cdp_client import Browser, chromium_binary  # noqa: E402
from report_helpers import synthetic_profile  # noqa: E402

from app.core.report import profile_report, write_html  # noqa: E402

MB = 1e6


def open_times(browser: Browser, path: Path, repeat: int) -> tuple[float, float]:
    """Median (open, draw) seconds over ``repeat`` fresh tabs."""
    opens, draws = [], []
    for _ in range(repeat):
        page = browser.new_page()
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
        )
        page.goto(path.as_uri())
        page.wait_ready(timeout=60)
        assert not page.console_errors, page.console_errors
        assert page.requests == [path.as_uri()], page.requests
        drawn_ms = page.eval("sovprofReport.drawnAt")  # since navigation started
        draw_ms = page.eval("sovprofReport.renderMs")
        opens.append(drawn_ms / 1000)
        draws.append(draw_ms / 1000)
        browser.send("Target.closeTarget", {"targetId": page.target})
    return statistics.median(opens), statistics.median(draws)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=3, help="opens per report (median)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    out_dir = Path(tempfile.mkdtemp(prefix="sovprof-bench-report-"))
    browser = Browser() if chromium_binary() else None
    if browser is None:
        print("chromium not installed: open times are skipped")
    print(
        f"{'samples':>9} {'stacks':>8} {'kept':>7} {'pruned':>8} {'size MB':>8} "
        f"{'build s':>8} {'write s':>8} {'open s':>7} {'draw s':>7}"
    )
    worst_open = 0.0
    worst_size = 0
    try:
        for n in sizes:
            profile = synthetic_profile(n)
            t0 = time.perf_counter()
            report = profile_report(profile)
            t1 = time.perf_counter()
            path = out_dir / f"report-{n}.html"
            size = write_html(path, report.title, report.data, report.sections)
            t2 = time.perf_counter()
            pruned = report.data["flame"]["pruned"]
            opened = open_times(browser, path, args.repeat) if browser else (float("nan"),) * 2
            worst_open = max(worst_open, opened[0]) if browser else worst_open
            worst_size = max(worst_size, size)
            print(
                f"{n:>9,} {len(profile.stacks):>8,} {pruned['kept']:>7,} {pruned['nodes']:>8,} "
                f"{size / MB:>8.2f} {t1 - t0:>8.2f} {t2 - t1:>8.2f} "
                f"{opened[0]:>7.2f} {opened[1]:>7.2f}"
            )
    finally:
        if browser is not None:
            browser.close()
    ok = worst_size < 5 * MB and (browser is None or worst_open < 2.0)
    print(
        f"largest report {worst_size / MB:.2f} MB (goal < 5 MB)"
        + (f", slowest open {worst_open:.2f} s (goal < 2 s)" if browser else "")
        + (": OK" if ok else ": MISSED")
    )
    print("build: profile → report data; write: pack + HTML; open: navigation to drawn")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

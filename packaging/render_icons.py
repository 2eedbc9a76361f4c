"""Render resources/icons/sovprof.svg to the hicolor PNG sizes (offscreen Qt).

    python packaging/render_icons.py            # rewrite the PNGs
    python packaging/render_icons.py --check    # exit 1 if a PNG is missing or stale

The PNGs are committed (a desktop installs them as they are); run this after
editing the SVG. ``--check`` compares pixels with the committed PNGs, allowing a
small tolerance for anti-aliasing differences between Qt versions.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "sovprof.svg"
SIZES = (16, 32, 48, 64, 128, 256)
MAX_CHANNEL_DIFF = 48  # per channel, for anti-aliased edges


def png_path(size: int) -> Path:
    return ROOT / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "sovprof.png"


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def differs(a: QImage, b: QImage) -> bool:
    a = a.convertToFormat(QImage.Format.Format_ARGB32)
    b = b.convertToFormat(QImage.Format.Format_ARGB32)
    if a.size() != b.size():
        return True
    for y in range(a.height()):
        for x in range(a.width()):
            pa, pb = a.pixel(x, y), b.pixel(x, y)
            if any(
                abs((pa >> s & 0xFF) - (pb >> s & 0xFF)) > MAX_CHANNEL_DIFF for s in (0, 8, 16, 24)
            ):
                return True
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="verify instead of writing")
    args = ap.parse_args(argv)
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot render {SVG}", file=sys.stderr)
        return 1
    stale = []
    for size in SIZES:
        image, path = render(renderer, size), png_path(size)
        if args.check:
            if not path.is_file() or differs(image, QImage(str(path))):
                stale.append(str(path.relative_to(ROOT)))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path)):
            print(f"cannot write {path}", file=sys.stderr)
            return 1
        print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("stale or missing (run packaging/render_icons.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

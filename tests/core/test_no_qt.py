"""app/core and kernels never import Qt; kernels never imports app."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import app.core
import kernels
from sovprof_testing import ROOT

QT = ("PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "shiboken6")


def _imported_by(modules: list[str]) -> list[str]:
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(','.join(sorted(m for m in sys.modules)))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return res.stdout.strip().split(",")


def test_core_imports_no_qt() -> None:
    modules = [m.name for m in pkgutil.walk_packages(app.core.__path__, "app.core.")]
    assert "app.core.sampling.live" in modules and len(modules) > 10
    bad = [m for m in _imported_by(modules) if m.split(".")[0] in QT]
    assert bad == [], f"Qt imported by app.core: {bad}"


def test_kernels_import_neither_qt_nor_app() -> None:
    modules = [
        m.name
        for m in pkgutil.walk_packages(kernels.__path__, "kernels.")
        if not m.name.endswith("__main__")
    ]
    assert "kernels.selector" in modules and "kernels.suite.matmul" in modules
    loaded = _imported_by(modules)
    bad = [m for m in loaded if m.split(".")[0] in (*QT, "app")]
    assert bad == [], f"kernels imported {bad}"

"""app/core (and kernels, once it exists) never import Qt."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import app.core
from sovprof_testing import ROOT


def test_core_imports_no_qt() -> None:
    modules = [m.name for m in pkgutil.walk_packages(app.core.__path__, "app.core.")]
    assert "app.core.sampling.live" in modules and len(modules) > 10
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'PyQt5', 'PyQt6', 'PySide2', 'pyqtgraph', 'shiboken6'))\n"
        "print(','.join(bad))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert res.stdout.strip() == "", f"Qt imported by app.core: {res.stdout}"

"""Where sovprof's resources (icons, report assets) are.

The repository keeps them in ``resources/`` at its root.  The wheel ships the
same files as package data under ``app/_resources`` (see ``setup.py``), and the
PyInstaller build puts them there too, so one rule finds them in every layout:

- installed wheel or frozen app: ``<app package>/_resources``
- source checkout or editable install: ``<app package>/../resources``

``$SOVPROF_RESOURCES`` names another resources directory (development, tests).
"""

from __future__ import annotations

import os
from pathlib import Path

import app

_PACKAGE = Path(app.__file__).resolve().parent


def resources_dir() -> Path:
    """The resources directory of this installation."""
    override = os.environ.get("SOVPROF_RESOURCES")
    if override:
        return Path(override)
    installed = _PACKAGE / "_resources"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "resources"


def resource(*parts: str) -> Path:
    """A path under the resources directory (it may not exist)."""
    return resources_dir().joinpath(*parts)


def icon_path(size: int | None = None) -> Path:
    """The application icon: the SVG, or the PNG rendered at ``size`` pixels."""
    if size is None:
        return resource("icons", "sovprof.svg")
    return resource("icons", "hicolor", f"{size}x{size}", "apps", "sovprof.png")


ICON_SIZES = (16, 32, 48, 64, 128, 256)

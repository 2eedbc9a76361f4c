"""File formats: one Renderer per export format and one Importer per import format.

Public API (see :mod:`app.core.formats.registry` and :mod:`app.core.formats.base`)::

    RENDERERS: dict[str, Renderer]     # "speedscope" (lossless), "collapsed" (lossy)
        Renderer.name / .extension / .description / .lossy: str | None
        Renderer.render(profile) -> bytes          # raises RenderError
        Renderer.warnings(profile) -> list[str]    # what this profile would lose
    IMPORTERS: dict[str, Importer]     # "speedscope", "pyspy-raw", "collapsed" (tried in order)
        Importer.sniff(head: bytes) -> bool
        Importer.load(data: bytes, name_hint: str, *, end_time=None) -> Profile
    import_file(path) -> Profile       # picks the importer by content, not by name
    import_bytes(data, name_hint, *, end_time=None) -> Profile
    sniff(data) -> Importer | None
    ImportFormatError, RenderError     # ValueErrors whose message is one line
"""

from __future__ import annotations

from app.core.formats.base import Importer, ImportFormatError, Renderer, RenderError
from app.core.formats.registry import IMPORTERS, RENDERERS, import_bytes, import_file, sniff

__all__ = [
    "IMPORTERS",
    "RENDERERS",
    "ImportFormatError",
    "Importer",
    "RenderError",
    "Renderer",
    "import_bytes",
    "import_file",
    "sniff",
]

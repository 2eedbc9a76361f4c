"""The format tables: every export format and every import format, in one place each.

The CLI's ``export --format`` and the GUI's Export menu list :data:`RENDERERS`;
``sovprof import`` and the GUI's Open use :func:`import_file`, which picks an
entry of :data:`IMPORTERS` by content.  To add a format, write its Renderer or
Importer in its own module and add one entry here.
"""

from __future__ import annotations

import codecs
import os

from app.core.formats.base import HEAD_BYTES, Importer, ImportFormatError, Renderer
from app.core.formats.collapsed import CollapsedImporter, CollapsedRenderer, PySpyRawImporter
from app.core.formats.html import HtmlRenderer
from app.core.formats.speedscope_importer import SpeedscopeImporter
from app.core.formats.speedscope_renderer import SpeedscopeRenderer
from app.core.formats.svg import SvgRenderer
from app.core.model.profile import Profile

RENDERERS: dict[str, Renderer] = {
    r.name: r
    for r in (
        SpeedscopeRenderer(),
        CollapsedRenderer(),
        SvgRenderer(),
        HtmlRenderer(),
    )
}

# Tried in order; the first whose sniff accepts the head of the file loads it.
IMPORTERS: dict[str, Importer] = {
    i.name: i
    for i in (
        SpeedscopeImporter(),
        PySpyRawImporter(),
        CollapsedImporter(),
    )
}

_EXPECTED = "expected speedscope JSON, py-spy raw output or collapsed stacks"
_BOM = codecs.BOM_UTF8


def _is_text(head: bytes, whole: bool) -> bool:
    """No NUL byte and valid UTF-8 (a character cut at the end of a partial head is fine)."""
    if b"\x00" in head:
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=whole)
    except UnicodeDecodeError:
        return False
    return True


def sniff(data: bytes) -> Importer | None:
    """The importer for ``data`` judged by its first bytes, or None."""
    head = data[:HEAD_BYTES]
    if not _is_text(head, len(data) <= HEAD_BYTES):
        return None
    return next((imp for imp in IMPORTERS.values() if imp.sniff(head)), None)


def _unrecognised(data: bytes, name_hint: str) -> ImportFormatError:
    head = data[:HEAD_BYTES]
    if head.startswith(b"\x1f\x8b"):
        return ImportFormatError(name_hint, "gzip-compressed data; decompress it first (gunzip)")
    if not _is_text(head, len(data) <= HEAD_BYTES):
        return ImportFormatError(name_hint, f"binary data, not a profile ({_EXPECTED})")
    return ImportFormatError(name_hint, f"not a recognised profile format ({_EXPECTED})")


def import_bytes(data: bytes, name_hint: str, *, end_time: float | None = None) -> Profile:
    """A Profile from a file's bytes, the format recognised by content.

    Raises ImportFormatError (a ValueError) with one line naming ``name_hint``
    and what is wrong; no other exception escapes for any input.
    """
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not data.strip():
        reason = "file is empty" if not data else "file holds only whitespace"
        raise ImportFormatError(name_hint, reason)
    importer = sniff(data)
    if importer is None:
        raise _unrecognised(data, name_hint)
    try:
        return importer.load(data, name_hint, end_time=end_time)
    except ImportFormatError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        # A parser bug must still give the user one line, not a traceback; the
        # cause is kept so tests can tell this from a deliberate error.
        raise ImportFormatError(
            name_hint, f"malformed {importer.name} data ({type(exc).__name__}: {exc})"
        ) from exc
    except RecursionError:
        raise ImportFormatError(name_hint, f"{importer.name} data nested too deeply") from None


def import_file(path: str | os.PathLike[str]) -> Profile:
    """Read and import one profile file.

    Windows whose times the file does not carry end at the file's modification
    time.  Raises ImportFormatError for bad content and OSError when the file
    cannot be read.
    """
    with open(path, "rb") as fh:
        data = fh.read()
        end_time = os.fstat(fh.fileno()).st_mtime
    return import_bytes(data, os.fspath(path), end_time=end_time)

"""The two interfaces every file format implements: Renderer (export) and Importer.

A renderer turns a Profile into the bytes of one file; an importer recognises
its format from the first bytes of a file and turns the whole file back into a
Profile.  Both are listed in the tables of :mod:`app.core.formats.registry`,
which the CLI and the GUI read; adding a format means adding one module and one
entry there.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from app.core.model.profile import Profile

# How much of a file importers' sniff() sees.
HEAD_BYTES = 64 * 1024


class RenderError(ValueError):
    """A profile that this format cannot hold; the message is one line saying why."""


class ImportFormatError(ValueError):
    """A file that cannot be imported.

    ``str(error)`` is one human line that names the file and says what is wrong,
    e.g. ``trace.json: not valid JSON (unexpected end of data at line 1 column
    5000) — is the file complete?``.
    """

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class Renderer(ABC):
    """One export format.

    ``lossy`` is None for a format that keeps every sample, thread and window,
    else one line saying what the format cannot keep (shown by the CLI and the
    GUI before writing).  :meth:`warnings` says what a given profile would lose.
    """

    name: str
    extension: str
    description: str
    lossy: str | None = None

    @abstractmethod
    def render(self, profile: Profile) -> bytes:
        """The whole file.  Raises RenderError when the profile cannot be written."""

    def warnings(self, profile: Profile) -> list[str]:
        """What this profile would lose in this format (one line each); [] when nothing."""
        return []


class Importer(ABC):
    """One import format, recognised by content (never by file name)."""

    name: str
    description: str

    @abstractmethod
    def sniff(self, head: bytes) -> bool:
        """Whether ``head`` (the first HEAD_BYTES of a file) looks like this format."""

    @abstractmethod
    def load(self, data: bytes, name_hint: str, *, end_time: float | None = None) -> Profile:
        """Parse a whole file into a new Profile.

        ``name_hint`` names the file in error messages.  ``end_time`` (seconds
        since the epoch, e.g. the file's mtime) places windows whose wall-clock
        times the file does not carry; without it they start at 0.  Raises
        ImportFormatError, and nothing else, on bad input.
        """

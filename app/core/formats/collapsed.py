"""Collapsed stacks (Brendan Gregg's folded format): ``frame;frame;frame COUNT``.

Written the way py-spy's ``--format raw --threads`` writes it, so flamegraph.pl,
inferno and speedscope read our files, and read back from py-spy's raw output
and from any other tool's folded stacks.  The format keeps no windows or times
and cannot carry ``;`` or line breaks in names: it is lossy by design, and the
speedscope export is the faithful one.
"""

from __future__ import annotations

import re

from app.core.formats.base import HEAD_BYTES, Importer, ImportFormatError, Renderer
from app.core.formats.collapsed_text import (
    LINE_BREAK_REPLACEMENT,
    SEMICOLON_REPLACEMENT,
    ThreadPrefix,
    frame_text,
    is_located,
    needs_cleaning,
    process_text,
    split_stack,
    thread_text,
)
from app.core.model.frames import Frame
from app.core.model.profile import Profile, Window

_COUNT_RE = re.compile(r"[0-9]{1,18}")
_SNIFF_LINE_RE = re.compile(rb".*\S[ \t]+[0-9]+(?:\.[0-9]*)?[ \t\r]*", re.S)


class CollapsedRenderer(Renderer):
    """One line per thread and stack, counts summed over every window."""

    name = "collapsed"
    extension = ".txt"
    description = "Collapsed stacks (folded; flamegraph.pl, inferno, speedscope)"
    lossy = (
        "collapsed stacks keep threads, stacks and counts only (no windows, times, rate, meta,"
        " nor the pid when there is one process), and write ';' in names as "
        f"{SEMICOLON_REPLACEMENT!r} and line breaks as spaces; export speedscope to keep"
        " everything"
    )

    def render(self, profile: Profile) -> bytes:
        lines = sorted(self._lines(profile))
        return "".join(f"{text} {count}\n" for _, text, count in lines).encode("utf-8", "replace")

    def _lines(self, profile: Profile) -> list[tuple[int, str, int]]:
        multi_pid = len({t.pid for t in profile.threads}) > 1
        frame_cache: dict[int, str] = {}
        stack_cache: dict[int, str] = {}
        per_thread: dict[int, dict[int, int]] = {}
        for (_, thread), cell in profile.counts.items():
            acc = per_thread.setdefault(thread, {})
            for sid, n in cell.items():
                acc[sid] = acc.get(sid, 0) + n
        out: list[tuple[int, str, int]] = []
        for thread, acc in per_thread.items():
            info = profile.threads[thread]
            head = thread_text(info.tid, info.name)
            if multi_pid:
                head = process_text(info.pid) + ";" + head
            for sid, n in acc.items():
                if n <= 0 or sid < 0:
                    continue
                text = stack_cache.get(sid)
                if text is None:
                    text = self._stack_text(profile, sid, frame_cache)
                    stack_cache[sid] = text
                out.append((thread, f"{head};{text}", n))
        return out

    @staticmethod
    def _stack_text(profile: Profile, sid: int, cache: dict[int, str]) -> str:
        parts: list[str] = []
        for fid in profile.stacks.frames_of(sid):
            text = cache.get(fid)
            if text is None:
                text = cache[fid] = frame_text(profile.frames.frames[fid])
            parts.append(text)
        return ";".join(parts)

    def warnings(self, profile: Profile) -> list[str]:
        out: list[str] = []
        changed = sum(
            needs_cleaning(f.function) or needs_cleaning(f.file) for f in profile.frames.frames
        ) + sum(needs_cleaning(t.name) for t in profile.threads)
        if changed:
            out.append(
                f"{changed} frame or thread name(s) contain ';' or line breaks; they are written"
                f" with {SEMICOLON_REPLACEMENT!r} and {LINE_BREAK_REPLACEMENT!r} instead"
            )
        if len(profile.windows) > 1:
            out.append(f"the {len(profile.windows)} windows are merged into one")
        return out


def _first_line(head: bytes) -> tuple[bytes, bool] | None:
    """The first non-blank line of ``head`` and whether it is complete."""
    lines = head.split(b"\n")
    for i, raw in enumerate(lines):
        if raw.strip():
            return raw, i < len(lines) - 1 or len(head) < HEAD_BYTES
    return None


def _sniff_collapsed(head: bytes) -> bool:
    first = _first_line(head)
    if first is None:
        return False
    line, complete = first
    if line.lstrip()[:1] in (b"{", b"["):
        return False
    # A first line with frame separators but no count is still ours to load:
    # the loader then says which line lacks its count.
    return b";" in line or (complete and _SNIFF_LINE_RE.fullmatch(line) is not None)


def _sniff_pyspy(head: bytes) -> bool:
    first = _first_line(head)
    if first is None or not _sniff_collapsed(head):
        return False
    line, complete = first
    stack = line.rstrip().rsplit(None, 1)[0] if complete else line
    segments = stack.decode("utf-8", "replace").split(";")
    probe = segments[-1] if complete else segments[0]
    return is_located(probe) or segments[0].startswith(("thread (", "process "))


class _CollapsedReader:
    """Parses collapsed text into one window of a new Profile."""

    def __init__(self, name_hint: str, pyspy: bool) -> None:
        self.name_hint = name_hint
        self.pyspy = pyspy

    def error(self, reason: str) -> ImportFormatError:
        return ImportFormatError(self.name_hint, reason)

    def decode(self, data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = data[exc.start : exc.start + 1].hex()
            raise self.error(
                f"not UTF-8 text (byte 0x{bad} at offset {exc.start}); "
                "collapsed stacks must be UTF-8"
            ) from None

    def counts(self, text: str) -> dict[str, int]:
        """Sample count per distinct stack text."""
        out: dict[str, int] = {}
        lines = text.split("\n")
        complete = text.endswith("\n")
        for number, line in enumerate(lines, 1):
            body = line.rstrip()
            if not body.strip():
                continue
            cut = max(body.rfind(" "), body.rfind("\t"))
            count = body[cut + 1 :] if cut >= 0 else ""
            if cut < 0 or not _COUNT_RE.fullmatch(count):
                raise self.error(self._count_problem(number, body, count, cut, complete, lines))
            stack = body[:cut]
            if not stack.strip():
                raise self.error(f"line {number} has a count but no stack")
            out[stack] = out.get(stack, 0) + int(count)
        return out

    @staticmethod
    def _count_problem(
        number: int, body: str, count: str, cut: int, complete: bool, lines: list[str]
    ) -> str:
        snippet = body if len(body) <= 60 else body[:57] + "..."
        last = not complete and number == len(lines)
        if cut >= 0 and re.fullmatch(r"[0-9]*\.[0-9]+|-[0-9]+", count):
            what = f"line {number}: sample count {count!r} is not a whole number"
        elif cut >= 0 and re.fullmatch(r"[0-9]+", count):
            what = f"line {number}: sample count of {len(count)} digits is too large"
        else:
            what = f"line {number} does not end with a sample count ({snippet!r})"
        return what + (" — is the file complete?" if last else "")

    def build(self, counts: dict[str, int], end_time: float | None) -> Profile:
        profile = Profile()
        t = 0.0 if end_time is None else end_time
        window = profile.add_window(Window(t, t))
        frame_ids: dict[Frame, int] = {}
        cells: dict[int, dict[int, int]] = {}
        threads: dict[ThreadPrefix, int] = {}
        for stack_text, n in counts.items():
            prefix, frames = split_stack(stack_text, pyspy=self.pyspy)
            thread = threads.get(prefix)
            if thread is None:
                thread = threads[prefix] = profile.add_thread(*prefix)
            ids = []
            for f in frames:
                fid = frame_ids.get(f)
                if fid is None:
                    fid = frame_ids[f] = profile.frames.intern(*f)
                ids.append(fid)
            sid = profile.stacks.intern(ids)
            cell = cells.setdefault(thread, {})
            cell[sid] = cell.get(sid, 0) + n
        for thread, cell in cells.items():
            profile.add_samples(window, thread, cell)
        return profile


class _CollapsedImporterBase(Importer):
    pyspy: bool

    def load(self, data: bytes, name_hint: str, *, end_time: float | None = None) -> Profile:
        reader = _CollapsedReader(name_hint, self.pyspy)
        profile = reader.build(reader.counts(reader.decode(data)), end_time)
        profile.meta = {"source_format": self.name, "source": name_hint}
        return profile


class PySpyRawImporter(_CollapsedImporterBase):
    """py-spy ``--format raw`` output (with or without --threads/--subprocesses)."""

    name = "pyspy-raw"
    description = "py-spy raw output (collapsed stacks with 'func (file:line)' frames)"
    pyspy = True

    def sniff(self, head: bytes) -> bool:
        return _sniff_pyspy(head)


class CollapsedImporter(_CollapsedImporterBase):
    """Any tool's folded stacks; every ``;``-separated segment is one frame."""

    name = "collapsed"
    description = "collapsed stacks ('frame;frame;frame COUNT' per line)"
    pyspy = False

    def sniff(self, head: bytes) -> bool:
        return _sniff_collapsed(head)

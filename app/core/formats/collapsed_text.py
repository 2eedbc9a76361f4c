"""Frame text in collapsed stacks, written and read the way py-spy does.

py-spy's ``--format raw`` writes one line per distinct stack, root first:
``process PID:"CMD";thread (TID): NAME;func (file:line);... COUNT``.  A frame is
``func (file:line)``, ``func (file)`` when the line is 0, or a bare name when it
has no file; the ``process`` frames (with --subprocesses) and the ``thread``
frame (with --threads) come before the Python frames.

The format has no escaping: a ``;`` in any name splits it, and a line break ends
the line.  Our writer replaces those characters (see :func:`clean`); our reader
undoes py-spy's splits where it can tell (see :func:`split_stack`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from app.core.model.frames import EMPTY_STACK, Frame

SEPARATOR = ";"
# The frame of a sample taken while a thread ran no Python code.
SEMICOLON_REPLACEMENT = ":"
LINE_BREAK_REPLACEMENT = " "

_LOCATED_RE = re.compile(r"(.*?) \((.*?)(?::(-?\d+))?\)", re.S)
_THREAD_RE = re.compile(r"thread \((0x[0-9a-fA-F]+|\d+)\)(?:: (.*))?", re.S)
_PROCESS_RE = re.compile(r'process (\d+):"(.*)"', re.S)


def needs_cleaning(text: str) -> bool:
    """Whether ``text`` holds a character that collapsed stacks cannot carry."""
    return SEPARATOR in text or "\n" in text or "\r" in text


def clean(text: str) -> str:
    """``text`` with ``;`` replaced by ``:`` and each line break by a space."""
    if not needs_cleaning(text):
        return text
    for brk in ("\r\n", "\r", "\n"):
        text = text.replace(brk, LINE_BREAK_REPLACEMENT)
    return text.replace(SEPARATOR, SEMICOLON_REPLACEMENT)


def frame_text(frame: Frame) -> str:
    """``func (file:line)``; ``func (file)`` when the line is 0 (``func ()`` without a file).

    Unlike py-spy we never write a bare name for a frame, so that a reader can
    tell frames from the thread and process frames that precede them.
    """
    name, file = clean(frame.function), clean(frame.file)
    if frame.line:
        return f"{name} ({file}:{frame.line})"
    return f"{name} ({file})"


def thread_text(tid: int, name: str) -> str:
    return f"thread ({tid}): {clean(name)}" if name else f"thread ({tid})"


def process_text(pid: int, command: str = "") -> str:
    return f'process {pid}:"{clean(command)}"'


def is_located(text: str) -> bool:
    """Whether ``text`` reads as one ``func (file[:line])`` frame."""
    return text.endswith(")") and " (" in text


def parse_frame(text: str) -> Frame:
    """The frame a segment names; the name is cut at the first `` (``."""
    m = _LOCATED_RE.fullmatch(text)
    if m is None:
        return Frame(text, "", 0)
    line = m.group(3)
    return Frame(m.group(1), m.group(2), int(line) if line else 0)


class ThreadPrefix(NamedTuple):
    pid: int
    tid: int
    name: str


def _join_process(segs: list[str], i: int, join: bool) -> tuple[re.Match[str] | None, int]:
    """The process frame starting at ``segs[i]`` (joined over split ``;``) and the next index."""
    text = segs[i]
    j = i + 1
    m = _PROCESS_RE.fullmatch(text)
    while m is None and join and j < len(segs):
        text += SEPARATOR + segs[j]
        j += 1
        m = _PROCESS_RE.fullmatch(text)
    return m, j


def _split_prefix(segs: list[str], join: bool) -> tuple[ThreadPrefix, int]:
    """Pid, tid and thread name from the leading process/thread frames; index of the rest."""
    pid = tid = 0
    name = ""
    i = 0
    while i < len(segs) and segs[i].startswith("process "):
        m, j = _join_process(segs, i, join)
        if m is None:
            break
        pid, i = int(m.group(1)), j
    if i < len(segs):
        t = _THREAD_RE.fullmatch(segs[i])
        if t is not None:
            tid_text = t.group(1)
            tid = int(tid_text, 16) if tid_text.startswith("0x") else int(tid_text)
            name = t.group(2) or ""
            i += 1
            # py-spy writes Python frames located, so bare segments right after
            # the thread frame are the rest of a thread name that held a ';'.
            while join and i < len(segs) - 1 and not is_located(segs[i]):
                name += SEPARATOR + segs[i]
                i += 1
    return ThreadPrefix(pid, tid, name), i


def _split_frames(segs: list[str], start: int, join: bool) -> list[Frame]:
    """Frames of ``segs[start:]``; with ``join``, rejoin names that py-spy split at ``;``."""
    frames: list[Frame] = []
    i = start
    n = len(segs)
    while i < n:
        seg = segs[i]
        if not join or is_located(seg):
            frames.append(parse_frame(seg))
            i += 1
            continue
        # A bare segment: join forward up to the first segment that closes a
        # located frame, e.g. "hot", "path (odd dir", "name.py:3)".
        opened = " (" in seg
        j = i + 1
        while j < n and not (segs[j].endswith(")") and (opened or " (" in segs[j])):
            opened = opened or " (" in segs[j]
            j += 1
        if j < n:
            frames.append(parse_frame(SEPARATOR.join(segs[i : j + 1])))
            i = j + 1
        else:
            frames.append(parse_frame(seg))
            i += 1
    return frames


def split_stack(text: str, *, pyspy: bool) -> tuple[ThreadPrefix, list[Frame]]:
    """The thread and root-first frames of one collapsed stack (the part before the count).

    With ``pyspy`` the stack is read as py-spy raw output, whose Python frames
    are always located: segments that py-spy split at a ``;`` inside a thread,
    process, function or file name are joined back.  Without it every segment
    is one frame.  A stack that is only thread/process frames (py-spy writes
    ``thread (TID): NAME COUNT`` for a thread caught with no Python frame) gets
    the one frame :data:`EMPTY_STACK`, so that no sample is dropped.
    """
    segs = text.split(SEPARATOR)
    prefix, i = _split_prefix(segs, pyspy)
    if i >= len(segs):
        return prefix, [EMPTY_STACK]
    return prefix, _split_frames(segs, i, pyspy)

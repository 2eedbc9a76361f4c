"""Interned frames, functions and stacks.

A frame is (function, file, line) where ``line`` is the line that was executing
when the sample was taken (py-spy reports the current line, not the ``def``).
A function is (function, file): frames of the same function at different lines
share one function id, which is what call trees and top tables aggregate on by
default.  Stacks are interned as a prefix tree: a stack id names one path from
a root frame to a leaf frame, and every prefix of it has an id too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

NO_PARENT = -1


class Frame(NamedTuple):
    """One frame as the sampler saw it."""

    function: str
    file: str
    line: int


EMPTY_STACK = Frame("<no Python frames>", "", 0)
"""Stands in for a sample whose thread ran no Python code (py-spy writes ``[]``)."""


class FrameTable:
    """Interns frames and the functions they belong to; ids are dense from 0."""

    __slots__ = ("_frame_ids", "_function_ids", "frame_function", "frames", "functions")

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.functions: list[tuple[str, str]] = []
        self.frame_function: list[int] = []
        self._frame_ids: dict[Frame, int] = {}
        self._function_ids: dict[tuple[str, str], int] = {}

    def __len__(self) -> int:
        return len(self.frames)

    def intern(self, function: str, file: str, line: int) -> int:
        """Return the id of the frame, adding it if it is new."""
        key = Frame(function, file, line)
        fid = self._frame_ids.get(key)
        if fid is None:
            fid = len(self.frames)
            self._frame_ids[key] = fid
            self.frames.append(key)
            self.frame_function.append(self._intern_function(function, file))
        return fid

    def _intern_function(self, function: str, file: str) -> int:
        key = (function, file)
        fn = self._function_ids.get(key)
        if fn is None:
            fn = len(self.functions)
            self._function_ids[key] = fn
            self.functions.append(key)
        return fn

    def function_id(self, function: str, file: str) -> int | None:
        """The id of a function, or None when no frame of it was seen."""
        return self._function_ids.get((function, file))


class StackTable:
    """Interns stacks as a prefix tree of (parent stack, leaf frame)."""

    __slots__ = ("_ids", "depth", "frame", "parent")

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.frame: list[int] = []
        self.depth: list[int] = []
        self._ids: dict[tuple[int, int], int] = {}

    def __len__(self) -> int:
        return len(self.parent)

    def intern_child(self, parent: int, frame: int) -> int:
        """Return the id of ``parent`` extended by ``frame``."""
        key = (parent, frame)
        sid = self._ids.get(key)
        if sid is None:
            sid = len(self.parent)
            self._ids[key] = sid
            self.parent.append(parent)
            self.frame.append(frame)
            self.depth.append(1 if parent == NO_PARENT else self.depth[parent] + 1)
        return sid

    def intern(self, frames_root_first: Iterable[int]) -> int:
        """Return the id of a whole stack given root-first frame ids."""
        sid = NO_PARENT
        for frame in frames_root_first:
            sid = self.intern_child(sid, frame)
        return sid

    def frames_of(self, stack: int) -> list[int]:
        """Frame ids of a stack, root first."""
        out: list[int] = []
        while stack != NO_PARENT:
            out.append(self.frame[stack])
            stack = self.parent[stack]
        out.reverse()
        return out


def remap_stacks(
    src: StackTable, dst: StackTable, frame_map: Sequence[int], needed: Iterable[int]
) -> dict[int, int]:
    """Copy the stacks in ``needed`` (and their prefixes) from ``src`` into ``dst``.

    ``frame_map`` maps a frame id of the source table to one of the destination.
    Returns the map from source stack id to destination stack id.
    """
    out: dict[int, int] = {}
    for sid in sorted(set(needed)):
        path: list[int] = []
        cur = sid
        while cur != NO_PARENT and cur not in out:
            path.append(cur)
            cur = src.parent[cur]
        dst_parent = NO_PARENT if cur == NO_PARENT else out[cur]
        for s in reversed(path):
            dst_parent = dst.intern_child(dst_parent, frame_map[src.frame[s]])
            out[s] = dst_parent
    return out

"""Allocation captures in the store (schema v4): one per session, written in one go.

The two allocation profiles share their tables, so one ``alloc_samples`` row holds a
stack's bytes and its count.  Saving again replaces the session's capture.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from itertools import repeat
from typing import Any, Protocol

from app.core.allocations.model import (
    UNIT_BYTES,
    AllocationCapture,
    AllocationSeries,
    HotLoopFinding,
    counts_view,
)
from app.core.model.frames import FrameTable, StackTable
from app.core.model.profile import Profile, Window
from app.core.store.errors import StoreError

_TABLES = (
    "alloc_hot_loops",
    "alloc_series",
    "alloc_samples",
    "alloc_windows",
    "alloc_threads",
    "alloc_stacks",
    "alloc_frames",
    "alloc_captures",
)


class _Transactions(Protocol):
    def _write(self, doing: str) -> AbstractContextManager[sqlite3.Connection]: ...
    def _read(self, doing: str) -> AbstractContextManager[sqlite3.Connection]: ...


class AllocationStore:
    """Mixed into :class:`app.core.store.Store`."""

    def save_allocations(self: _Transactions, session_id: int, capture: AllocationCapture) -> None:
        """Write (or replace) the session's allocation capture in one transaction."""
        with self._write(f"save the allocations of session {session_id}") as conn:
            if (
                conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone()
                is None
            ):
                raise StoreError(f"no session '{session_id}' (see `sovprof sessions`)")
            for table in _TABLES:
                conn.execute(f"DELETE FROM {table} WHERE session = ?", (session_id,))
            conn.execute(
                "INSERT INTO alloc_captures (session, meta, timed) VALUES (?, ?, ?)",
                (session_id, _dumps(capture.meta), int(capture.series.timed)),
            )
            _write_profile(conn, session_id, capture)
            s = capture.series
            conn.executemany(
                'INSERT INTO alloc_series (session, idx, "start", "end", allocations, bytes)'
                " VALUES (?, ?, ?, ?, ?, ?)",
                zip(repeat(session_id), range(len(s)), s.starts, s.ends, s.allocations, s.bytes),
            )
            conn.executemany(
                "INSERT INTO alloc_hot_loops (session, rank, function, file, line, cpu_self_share,"
                " cpu_total_share, allocations, bytes, allocations_per_s, bytes_per_s, why)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(session_id, rank, *_hot_row(f)) for rank, f in enumerate(capture.hot_loops)],
            )

    def has_allocations(self: _Transactions, session_id: int) -> bool:
        with self._read(f"read the allocations of session {session_id}") as conn:
            row = conn.execute("SELECT 1 FROM alloc_captures WHERE session = ?", (session_id,))
            return row.fetchone() is not None

    def load_allocations(self: _Transactions, session_id: int) -> AllocationCapture | None:
        """The session's allocation capture, or None when it was recorded without one."""
        with self._read(f"read the allocations of session {session_id}") as conn:
            row = conn.execute(
                "SELECT meta, timed FROM alloc_captures WHERE session = ?", (session_id,)
            ).fetchone()
            if row is None:
                return None
            meta = _loads(row[0])
            try:
                profile, counts = _read_profile(conn, session_id)
            except (ValueError, IndexError, TypeError) as exc:
                raise StoreError(
                    f"the allocations of session {session_id} are inconsistent ({exc}); "
                    "record them again"
                ) from exc
            series = AllocationSeries(timed=bool(row[1]))
            for start, end, n, b in conn.execute(
                'SELECT "start", "end", allocations, bytes FROM alloc_series'
                " WHERE session = ? ORDER BY idx",
                (session_id,),
            ):
                series.append(start, end, n, b)
            hot = [
                HotLoopFinding(*r)
                for r in conn.execute(
                    "SELECT function, file, line, cpu_self_share, cpu_total_share, allocations,"
                    " bytes, allocations_per_s, bytes_per_s, why FROM alloc_hot_loops"
                    " WHERE session = ? ORDER BY rank",
                    (session_id,),
                )
            ]
        profile.meta = {"unit": UNIT_BYTES, "allocations": meta, "session_id": session_id}
        return AllocationCapture(profile, counts_view(profile, counts), series, meta, hot)


def _hot_row(f: HotLoopFinding) -> tuple[Any, ...]:
    return (
        f.function, f.file, f.line, f.cpu_self_share, f.cpu_total_share, f.allocations,
        f.bytes, f.allocations_per_s, f.bytes_per_s, f.why,
    )  # fmt: skip


def _write_profile(conn: sqlite3.Connection, session_id: int, capture: AllocationCapture) -> None:
    p = capture.bytes_profile
    conn.executemany(
        "INSERT INTO alloc_frames (session, id, function, file, line) VALUES (?, ?, ?, ?, ?)",
        [(session_id, i, *f) for i, f in enumerate(p.frames.frames)],
    )
    conn.executemany(
        "INSERT INTO alloc_stacks (session, id, parent, frame) VALUES (?, ?, ?, ?)",
        zip(repeat(session_id), range(len(p.stacks)), p.stacks.parent, p.stacks.frame),
    )
    conn.executemany(
        "INSERT INTO alloc_threads (session, id, pid, tid, name) VALUES (?, ?, ?, ?, ?)",
        [(session_id, i, t.pid, t.tid, t.name) for i, t in enumerate(p.threads)],
    )
    conn.executemany(
        'INSERT INTO alloc_windows (session, idx, "start", "end") VALUES (?, ?, ?, ?)',
        [(session_id, i, w.start, w.end) for i, w in enumerate(p.windows)],
    )
    nbytes = p.counts  # zero-byte allocations have a count but no bytes entry
    conn.executemany(
        'INSERT INTO alloc_samples (session, "window", thread, stack, bytes, count)'
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (session_id, w, t, s, nbytes.get((w, t), {}).get(s, 0), n)
            for (w, t), cell in capture.count_profile.counts.items()
            for s, n in cell.items()
        ],
    )


def _read_profile(
    conn: sqlite3.Connection, session_id: int
) -> tuple[Profile, dict[tuple[int, int], dict[int, int]]]:
    profile = Profile(frames=FrameTable(), stacks=StackTable())
    for fid, function, file, line in conn.execute(
        "SELECT id, function, file, line FROM alloc_frames WHERE session = ? ORDER BY id",
        (session_id,),
    ):
        if profile.frames.intern(function, file, line) != fid:
            raise ValueError(f"frame {fid} is missing or repeated")
    for sid, parent, frame in conn.execute(
        "SELECT id, parent, frame FROM alloc_stacks WHERE session = ? ORDER BY id", (session_id,)
    ):
        if parent >= sid or profile.stacks.intern_child(parent, frame) != sid:
            raise ValueError(f"stack {sid} is missing or repeated")
    for idx, pid, tid, name in conn.execute(
        "SELECT id, pid, tid, name FROM alloc_threads WHERE session = ? ORDER BY id",
        (session_id,),
    ):
        if profile.add_thread(pid, tid, name) != idx:
            raise ValueError(f"thread {idx} is missing or repeated")
    for start, end in conn.execute(
        'SELECT "start", "end" FROM alloc_windows WHERE session = ? ORDER BY idx', (session_id,)
    ):
        profile.add_window(Window(start, end))
    counts: dict[tuple[int, int], dict[int, int]] = {}
    for w, t, s, b, n in conn.execute(
        'SELECT "window", thread, stack, bytes, count FROM alloc_samples WHERE session = ?',
        (session_id,),
    ):
        profile.add_samples(w, t, {s: b})
        counts.setdefault((w, t), {})[s] = n
    return profile, counts


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

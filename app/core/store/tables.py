"""Rows of a profile's tables: writing them, and reading them back with the same ids."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path

from app.core.model.frames import FrameTable, StackTable
from app.core.model.profile import Profile, Window
from app.core.store.errors import StoreError

# Frames, stacks and threads of a session already in the file (their counts).
Marks = tuple[int, int, int]

INSERT_WINDOW = """
INSERT OR REPLACE INTO windows (session, idx, "start", "end", expected, errors, samples)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
INSERT_SAMPLE = 'INSERT INTO samples (session, "window", thread, stack, count) VALUES (?,?,?,?,?)'


def write_tables(
    conn: sqlite3.Connection, session_id: int, profile: Profile, marks: Marks
) -> Marks:
    """Write the frames, stacks and threads past ``marks``; return the new marks."""
    n_frames, n_stacks, n_threads = marks
    frames = profile.frames.frames
    if len(frames) > n_frames:
        conn.executemany(
            "INSERT INTO frames (session, id, function, file, line) VALUES (?, ?, ?, ?, ?)",
            [(session_id, i, *f) for i, f in enumerate(frames[n_frames:], n_frames)],
        )
    stacks = profile.stacks
    if len(stacks) > n_stacks:
        conn.executemany(
            "INSERT INTO stacks (session, id, parent, frame) VALUES (?, ?, ?, ?)",
            zip(
                repeat(session_id),
                range(n_stacks, len(stacks)),
                stacks.parent[n_stacks:],
                stacks.frame[n_stacks:],
            ),
        )
    threads = profile.threads
    if len(threads) > n_threads:
        conn.executemany(
            "INSERT INTO threads (session, id, pid, tid, name) VALUES (?, ?, ?, ?, ?)",
            [
                (session_id, i, t.pid, t.tid, t.name)
                for i, t in enumerate(threads[n_threads:], n_threads)
            ],
        )
    renamed = [(threads[i].name, session_id, i) for i in profile.renamed_threads if i < n_threads]
    if renamed:
        conn.executemany("UPDATE threads SET name = ? WHERE session = ? AND id = ?", renamed)
    return len(frames), len(stacks), len(threads)


def window_rows(
    session_id: int, profile: Profile, window_idx: int
) -> tuple[list[tuple[int, int, int, int, int]], int]:
    """Sample rows of one window and their total."""
    rows: list[tuple[int, int, int, int, int]] = []
    received = 0
    for thread in range(len(profile.threads)):
        cell = profile.counts.get((window_idx, thread))
        if cell:
            rows.extend((session_id, window_idx, thread, s, n) for s, n in cell.items())
            received += sum(cell.values())
    return rows, received


def all_sample_rows(session_id: int, profile: Profile) -> Iterator[tuple[int, ...]]:
    for (window, thread), cell in profile.counts.items():
        for stack, n in cell.items():
            yield session_id, window, thread, stack, n


def window_row(
    session_id: int, idx: int, window: Window, received: int
) -> tuple[int, int, float, float, int, int, int]:
    return (
        session_id, idx, window.start, window.end, window.expected, window.errors, received,
    )  # fmt: skip


def next_id(conn: sqlite3.Connection, table: str, session_id: int) -> int:
    row = conn.execute(f"SELECT MAX(id) FROM {table} WHERE session = ?", (session_id,))
    top = row.fetchone()[0]
    return 0 if top is None else int(top) + 1


def load_tables(conn: sqlite3.Connection, path: Path, session_id: int) -> Profile:
    """Frames, stacks, threads, windows and counts of a session, ids unchanged."""
    profile = Profile(frames=FrameTable(), stacks=StackTable())
    try:
        _load_frames(conn, session_id, profile.frames)
        _load_stacks(conn, session_id, profile.stacks)
        _load_threads(conn, session_id, profile)
    except (ValueError, IndexError, TypeError) as exc:
        raise StoreError(
            f"session {session_id} in {path} is inconsistent ({exc}); "
            f"delete it with `sovprof delete {session_id}`"
        ) from exc
    window_ids: list[int] = []
    for idx, start, end, expected, errors in conn.execute(
        'SELECT idx, "start", "end", expected, errors FROM windows WHERE session = ? ORDER BY idx',
        (session_id,),
    ):
        window_ids.append(idx)
        profile.windows.append(Window(start, end, expected, errors))
    profile.counts = _load_counts(conn, session_id, window_ids)
    return profile


def _load_frames(conn: sqlite3.Connection, session_id: int, frames: FrameTable) -> None:
    cur = conn.execute(
        "SELECT id, function, file, line FROM frames WHERE session = ? ORDER BY id", (session_id,)
    )
    for fid, function, file, line in cur:
        if frames.intern(function, file, line) != fid:
            raise ValueError(f"frame {fid} is missing or repeated")


def _load_stacks(conn: sqlite3.Connection, session_id: int, stacks: StackTable) -> None:
    cur = conn.execute(
        "SELECT id, parent, frame FROM stacks WHERE session = ? ORDER BY id", (session_id,)
    )
    for sid, parent, frame in cur:
        if parent >= sid or stacks.intern_child(parent, frame) != sid:
            raise ValueError(f"stack {sid} is missing or repeated")


def _load_threads(conn: sqlite3.Connection, session_id: int, profile: Profile) -> None:
    cur = conn.execute(
        "SELECT id, pid, tid, name FROM threads WHERE session = ? ORDER BY id", (session_id,)
    )
    for tid_idx, pid, tid, name in cur:
        if profile.add_thread(pid, tid, name) != tid_idx:
            raise ValueError(f"thread {tid_idx} is missing or repeated")


def _load_counts(
    conn: sqlite3.Connection, session_id: int, window_ids: list[int]
) -> dict[tuple[int, int], dict[int, int]]:
    """Counts per (window, thread); windows are renumbered if the file has gaps."""
    # One row per cell, its stacks and counts as text: far fewer Python objects
    # than one row per sample.
    cur = conn.execute(
        'SELECT "window", thread, group_concat(stack), group_concat(count) '
        'FROM samples WHERE session = ? GROUP BY "window", thread',
        (session_id,),
    )
    where = {w: i for i, w in enumerate(window_ids)}
    counts: dict[tuple[int, int], dict[int, int]] = {}
    for window, thread, stacks, ns in cur:
        idx = where.get(window)
        if idx is not None:
            stack_ids = map(int, stacks.split(","))
            counts[(idx, thread)] = dict(zip(stack_ids, map(int, ns.split(",")), strict=True))
    return counts

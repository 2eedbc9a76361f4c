"""The store's file identity and its forward-only migrations.

``MIGRATIONS[v]`` is the SQL script that takes a file from schema ``v`` to
``v + 1``; ``PRAGMA user_version`` holds the version a file is at.  Scripts are
only ever appended: a released script is never edited.
"""

from __future__ import annotations

import sqlite3

# 'SPRF', stored in the SQLite header so other programs' files are told apart.
APPLICATION_ID = 0x53505246

_V1 = """
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    pid INTEGER,
    rate_hz REAL NOT NULL DEFAULT 0,
    options TEXT NOT NULL DEFAULT '{}',
    meta TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    started REAL,
    ended REAL,
    message TEXT,
    owner_pid INTEGER,
    owner_host TEXT,
    owner_token TEXT,
    created REAL NOT NULL
);
CREATE INDEX sessions_by_name ON sessions (name);
CREATE TABLE frames (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    function TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    PRIMARY KEY (session, id)
) WITHOUT ROWID;
CREATE TABLE stacks (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    parent INTEGER NOT NULL,
    frame INTEGER NOT NULL,
    PRIMARY KEY (session, id)
) WITHOUT ROWID;
CREATE TABLE threads (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    tid INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (session, id)
) WITHOUT ROWID;
CREATE TABLE windows (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    "start" REAL NOT NULL,
    "end" REAL NOT NULL,
    expected INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    samples INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session, idx)
) WITHOUT ROWID;
CREATE TABLE samples (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    "window" INTEGER NOT NULL,
    thread INTEGER NOT NULL,
    stack INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (session, "window", thread, stack)
) WITHOUT ROWID;
"""

# v2: counters read alongside the samples, one row per (window, counter).
_V2 = """
CREATE TABLE counter_specs (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (session, name)
) WITHOUT ROWID;
CREATE TABLE counter_unsupported (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    reason TEXT NOT NULL,
    fix TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (session, name)
) WITHOUT ROWID;
CREATE TABLE counter_values (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    "window" INTEGER NOT NULL,
    name TEXT NOT NULL,
    "start" REAL NOT NULL,
    "end" REAL NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (session, "window", name)
) WITHOUT ROWID;
"""

# v3: kernel-suite calibrations, benchmark runs (one row per cell, written as each cell
# finishes) and named baselines.
_V3 = """
CREATE TABLE calibrations (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT '{}',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE bench_runs (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'running',
    fingerprint TEXT NOT NULL DEFAULT '{}',
    options TEXT NOT NULL DEFAULT '{}',
    calibration INTEGER REFERENCES calibrations (id) ON DELETE SET NULL
);
CREATE TABLE bench_cells (
    run INTEGER NOT NULL REFERENCES bench_runs (id) ON DELETE CASCADE,
    kernel TEXT NOT NULL,
    tier TEXT NOT NULL,
    size INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run, kernel, tier, size)
) WITHOUT ROWID;
CREATE TABLE baselines (
    name TEXT PRIMARY KEY,
    run INTEGER NOT NULL REFERENCES bench_runs (id) ON DELETE CASCADE,
    created REAL NOT NULL
);
"""

# v4: allocation captures (memray): two weighted profiles sharing frame/stack/thread/window
# tables (bytes and count per sample row), the allocation rate series, hot-loop findings.
_V4 = """
CREATE TABLE alloc_captures (
    session INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    meta TEXT NOT NULL DEFAULT '{}',
    timed INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE alloc_frames (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    function TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    PRIMARY KEY (session, id)
) WITHOUT ROWID;
CREATE TABLE alloc_stacks (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    parent INTEGER NOT NULL,
    frame INTEGER NOT NULL,
    PRIMARY KEY (session, id)
) WITHOUT ROWID;
CREATE TABLE alloc_threads (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    tid INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (session, id)
) WITHOUT ROWID;
CREATE TABLE alloc_windows (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    "start" REAL NOT NULL,
    "end" REAL NOT NULL,
    PRIMARY KEY (session, idx)
) WITHOUT ROWID;
CREATE TABLE alloc_samples (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    "window" INTEGER NOT NULL,
    thread INTEGER NOT NULL,
    stack INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (session, "window", thread, stack)
) WITHOUT ROWID;
CREATE TABLE alloc_series (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    "start" REAL NOT NULL,
    "end" REAL NOT NULL,
    allocations INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (session, idx)
) WITHOUT ROWID;
CREATE TABLE alloc_hot_loops (
    session INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    function TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    cpu_self_share REAL NOT NULL,
    cpu_total_share REAL NOT NULL,
    allocations INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    allocations_per_s REAL NOT NULL,
    bytes_per_s REAL NOT NULL,
    why TEXT NOT NULL,
    PRIMARY KEY (session, rank)
) WITHOUT ROWID;
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4)

SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> list[str]:
    """Split a script into statements, so that it can run inside one transaction.

    (``executescript`` would commit any open transaction first.)
    """
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out

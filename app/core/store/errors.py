"""The one error the session store raises, and how SQLite errors become it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# Primary SQLite result codes (the low byte of an extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
# Extended I/O error codes of a failed write: the file is fine, the disk refused.
# SQLITE_IOERR_WRITE, _FSYNC, _DIR_FSYNC, _TRUNCATE.
_IOERR_WRITING = (778, 1034, 1290, 1546)


class StoreError(Exception):
    """The store cannot do what was asked; the message is one line saying what to do."""


def damaged(path: Path, why: str) -> StoreError:
    """The error for a file that is not (or no longer) a readable SQLite database."""
    return StoreError(
        f"the session store {path} is damaged or not an SQLite file ({why}); "
        "move it aside (sovprof then starts a new one) or use another --store"
    )


def from_sqlite(exc: sqlite3.Error, path: Path, doing: str) -> StoreError:
    """Turn an sqlite3 exception raised while ``doing`` something into a StoreError."""
    why = str(exc) or "unknown SQLite error"
    low = why.lower()
    extended = getattr(exc, "sqlite_errorcode", None) or 0
    code = extended & 0xFF
    if code == _READONLY or "readonly" in low or "read-only" in low:
        return StoreError(
            f"cannot {doing}: {path} (or its folder) is read-only; "
            "fix its permissions or use another --store"
        )
    if code in (_BUSY, _LOCKED) or "locked" in low:
        return StoreError(
            f"cannot {doing}: {path} is locked by another sovprof process; try again shortly"
        )
    if code == _FULL or "disk is full" in low:
        return StoreError(
            f"cannot {doing}: the disk holding {path} is full; free space or use another --store"
        )
    if extended in _IOERR_WRITING:
        # e.g. EFBIG past `ulimit -f`, or ENOSPC where SQLite does not say "full".
        return StoreError(
            f"cannot {doing}: writing to {path} failed ({why}): the disk may be full or the "
            "file over a size limit (ulimit -f); free space or use another --store"
        )
    if code == _CANTOPEN or "unable to open" in low:
        return StoreError(
            f"cannot open the session store {path}; check that its folder exists and is "
            "writable, or use another --store"
        )
    if (
        code in (_CORRUPT, _NOTADB, _IOERR)
        or "malformed" in low
        or "not a database" in low
        or "i/o error" in low
        or type(exc) is sqlite3.DatabaseError
    ):
        return damaged(path, why)
    return StoreError(f"cannot {doing} in the session store {path}: {why}")

"""Opening a store file: refusing what is not ours, migrating what is old."""

from __future__ import annotations

import os
import sqlite3
from contextlib import suppress
from pathlib import Path

from app.core.store.errors import StoreError, damaged, from_sqlite
from app.core.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, statements

_SQLITE_MAGIC = b"SQLite format 3\x00"
_BUSY_TIMEOUT_S = 10.0


def open_connection(path: Path) -> sqlite3.Connection:
    """Open (creating it if need be) the store at ``path``, migrated to SCHEMA_VERSION."""
    _prepare_location(path)
    _check_header(path)
    try:
        if _in_read_only_folder(path):
            # SQLite cannot create the -shm file a WAL database needs beside it, so it
            # would refuse to open the file at all; nobody can be writing it there
            # either, so read it as immutable (writes then fail as read-only).
            uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
            conn = sqlite3.connect(uri, timeout=_BUSY_TIMEOUT_S, isolation_level=None, uri=True)
        else:
            conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise from_sqlite(exc, path, "open the session store") from exc
    try:
        _configure(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _prepare_location(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the folder {path.parent} for the session store "
            f"({exc.strerror or exc}); use another --store"
        ) from exc
    if path.exists() and not path.is_file():
        raise StoreError(f"{path} is not a file; use another --store")


def _in_read_only_folder(path: Path) -> bool:
    """An existing store whose folder cannot be written (a read-only mount, say), with
    no write-ahead log or shared-memory file beside it that a reader would need."""
    shm = path.with_name(path.name + "-shm")
    wal = path.with_name(path.name + "-wal")
    return (
        path.is_file()
        and not os.access(path.parent, os.W_OK)
        and not shm.exists()
        and not _nonempty(wal)
    )


def _check_header(path: Path) -> None:
    """Refuse non-SQLite and truncated files before SQLite sees them."""
    try:
        size = path.stat().st_size
        if size == 0:
            return
        with path.open("rb") as fh:
            head = fh.read(100)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(
            f"cannot read the session store {path} ({exc.strerror or exc}); "
            "fix its permissions or use another --store"
        ) from exc
    if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
        raise damaged(path, "it does not start with an SQLite header")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    size_is_valid = head[24:28] == head[92:96]
    wal = path.with_name(path.name + "-wal")
    # Pages still in a write-ahead log may legitimately be missing from the file.
    if size_is_valid and pages * page_size > size and not _nonempty(wal):
        raise damaged(path, f"truncated: {size} of {pages * page_size} bytes")


def _nonempty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        version = _check_identity(conn, path)
        # A read-only file keeps its journal mode; writes will say why they fail.
        with suppress(sqlite3.OperationalError):
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            _migrate(conn, path)
    except sqlite3.Error as exc:
        raise from_sqlite(exc, path, "open the session store") from exc


def _identity(conn: sqlite3.Connection) -> tuple[int, int]:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return int(app_id), int(version)


def _check_identity(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version, after refusing files that are not ours or too new."""
    app_id, version = _identity(conn)
    if app_id not in (0, APPLICATION_ID):
        raise StoreError(
            f"{path} is not a sovprof store (its application id is "
            f"{app_id & 0xFFFFFFFF:#010x}); use another --store"
        )
    if app_id == 0 and (version != 0 or _has_tables(conn)):
        raise StoreError(
            f"{path} is not a sovprof store (it is another program's SQLite file); "
            "use another --store"
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer sovprof (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}); upgrade sovprof or use another --store"
        )
    return version


def _has_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the file to SCHEMA_VERSION in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated it since we looked.
        version = _check_identity(conn, path)
        for script in MIGRATIONS[version:]:
            for statement in statements(script):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise

"""The session store: one SQLite file holding every recorded or imported profile.

A recording writes each sampling window in its own transaction
(``append_window``), so a crash of the recorder or of the target loses at most
the window in flight.  The file carries an application id and a schema
version; it is migrated forward only, and files this version does not
understand are refused with a ``StoreError`` whose message says what to do.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any

from app.core.counters.base import CounterSpec, Unsupported
from app.core.counters.series import CounterSeries
from app.core.model.profile import Profile
from app.core.store.allocations import AllocationStore
from app.core.store.bench import BenchStore
from app.core.store.errors import StoreError, from_sqlite
from app.core.store.opening import open_connection
from app.core.store.owner import host_name, owner_alive, process_token
from app.core.store.session import INTERRUPTED, RECORDING, STATUSES, SessionInfo
from app.core.store.tables import (
    INSERT_SAMPLE,
    INSERT_WINDOW,
    Marks,
    all_sample_rows,
    load_tables,
    next_id,
    window_row,
    window_rows,
    write_tables,
)

_LATEST = ("last", "latest")

_INFO_SQL = """
SELECT s.id, s.name, s.target, s.pid, s.status, s.started, s.ended, s.rate_hz, s.message,
       s.created, s.owner_pid, s.owner_host, s.owner_token,
       COUNT(w.idx), COALESCE(SUM(w.samples), 0), COALESCE(SUM(w.expected), 0),
       MIN(w."start"), MAX(w."end")
FROM sessions AS s LEFT JOIN windows AS w ON w.session = s.id
"""
_INSERT_SESSION = """
INSERT INTO sessions (name, target, pid, rate_hz, options, meta, status, started, ended,
                      message, owner_pid, owner_host, owner_token, created)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


class Store(BenchStore, AllocationStore):
    """An open session store; use as a context manager or call ``close()``.

    One Store object belongs to one thread (as its SQLite connection does);
    several processes may use the same file at once.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._marks: dict[int, Marks] = {}
        self._conn: sqlite3.Connection | None = open_connection(self.path)

    # -- lifetime -------------------------------------------------------------

    def close(self) -> None:
        """Close the file; further calls raise StoreError.  Closing twice is fine."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- recording ------------------------------------------------------------

    def create_session(
        self,
        name: str,
        target: str,
        pid: int | None,
        rate_hz: float,
        options: dict[str, Any],
        status: str = RECORDING,
        *,
        meta: dict[str, Any] | None = None,
    ) -> int:
        """Start a session owned by this process and return its id.

        ``target`` describes what is profiled (a command line, "pid 1234").
        """
        _check_status(status)
        now = time.time()
        me = os.getpid()
        row = (
            name, target, pid, float(rate_hz), _dumps(options), _dumps(meta or {}), status,
            now, None, None, me, host_name(), process_token(me), now,
        )  # fmt: skip
        with self._write(f"create session {name!r}") as conn:
            session_id = _lastrowid(conn.execute(_INSERT_SESSION, row))
        self._marks[session_id] = (0, 0, 0)
        return session_id

    def append_window(
        self,
        session_id: int,
        profile: Profile,
        window_idx: int,
        counters: tuple[float, float, Mapping[str, float]] | None = None,
    ) -> None:
        """Write one window's samples, plus the profile's frames, stacks and threads
        that this session does not have yet, in one transaction.

        ``counters`` is (start, end, values) of the counters read for this window;
        they commit with the samples.  Writing a window again replaces it.  A new
        Store may continue a session that another one started, given the same
        (grown) profile.
        """
        window = profile.windows[window_idx]
        with self._write(f"record into session {session_id}") as conn:
            marks = self._session_marks(conn, session_id)
            new_marks = write_tables(conn, session_id, profile, marks)
            rows, received = window_rows(session_id, profile, window_idx)
            conn.execute(
                'DELETE FROM samples WHERE session = ? AND "window" = ?', (session_id, window_idx)
            )
            conn.executemany(INSERT_SAMPLE, rows)
            conn.execute(INSERT_WINDOW, window_row(session_id, window_idx, window, received))
            if counters is not None:
                start, end, values = counters
                conn.execute(
                    'DELETE FROM counter_values WHERE session = ? AND "window" = ?',
                    (session_id, window_idx),
                )
                conn.executemany(
                    'INSERT INTO counter_values (session, "window", name, "start", "end", value)'
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [(session_id, window_idx, n, start, end, v) for n, v in values.items()],
                )
        self._marks[session_id] = new_marks

    def set_counter_info(
        self, session_id: int, specs: Sequence[CounterSpec], unsupported: Sequence[Unsupported]
    ) -> None:
        """Record which counters a session reads, and which it cannot (with why)."""
        with self._write(f"record counters of session {session_id}") as conn:
            conn.execute("DELETE FROM counter_specs WHERE session = ?", (session_id,))
            conn.execute("DELETE FROM counter_unsupported WHERE session = ?", (session_id,))
            conn.executemany(
                "INSERT INTO counter_specs (session, name, unit, kind, description)"
                " VALUES (?, ?, ?, ?, ?)",
                [(session_id, s.name, s.unit, s.kind, s.description) for s in specs],
            )
            conn.executemany(
                "INSERT INTO counter_unsupported (session, name, reason, fix) VALUES (?, ?, ?, ?)",
                [(session_id, u.name, u.reason, u.fix) for u in unsupported],
            )

    def load_counters(self, session_id: int) -> CounterSeries:
        """The counters stored with a session (empty when it has none)."""
        series = CounterSeries()
        with self._read(f"read counters of session {session_id}") as conn:
            for name, unit, kind, desc in conn.execute(
                "SELECT name, unit, kind, description FROM counter_specs WHERE session = ?",
                (session_id,),
            ):
                series.specs[name] = CounterSpec(name, unit, kind, desc)
            series.unsupported = [
                Unsupported(n, r, f)
                for n, r, f in conn.execute(
                    "SELECT name, reason, fix FROM counter_unsupported WHERE session = ?"
                    " ORDER BY name",
                    (session_id,),
                )
            ]
            for w, name, start, end, value in conn.execute(
                'SELECT "window", name, "start", "end", value FROM counter_values'
                ' WHERE session = ? ORDER BY "window"',
                (session_id,),
            ):
                series.intervals[w] = (start, end)
                series.values.setdefault(w, {})[name] = value
        return series

    def finish_session(self, session_id: int, status: str, message: str | None = None) -> None:
        """Record how a session ended (``status`` is one of ``STATUSES``)."""
        _check_status(status)
        with self._write(f"finish session {session_id}") as conn:
            cur = conn.execute(
                "UPDATE sessions SET status = ?, message = ?, ended = ? WHERE id = ?",
                (status, message, time.time(), session_id),
            )
            if cur.rowcount == 0:
                raise _no_session(str(session_id))

    def save_profile(
        self,
        profile: Profile,
        name: str,
        target: str,
        status: str = "imported",
        *,
        pid: int | None = None,
        options: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> int:
        """Write a whole profile as a new session in one transaction; return its id."""
        _check_status(status)
        now = time.time()
        started, ended = (profile.start, profile.end) if profile.windows else (now, now)
        me = os.getpid()
        row = (
            name, target, pid, float(profile.rate_hz), _dumps(options or {}),
            _dumps(profile.meta), status, started, None if status == RECORDING else ended,
            message, me, host_name(), process_token(me), now,
        )  # fmt: skip
        with self._write(f"save session {name!r}") as conn:
            session_id = _lastrowid(conn.execute(_INSERT_SESSION, row))
            marks = write_tables(conn, session_id, profile, (0, 0, 0))
            conn.executemany(INSERT_SAMPLE, all_sample_rows(session_id, profile))
            totals = profile.window_totals()
            conn.executemany(
                INSERT_WINDOW,
                [window_row(session_id, i, w, totals[i]) for i, w in enumerate(profile.windows)],
            )
        self._marks[session_id] = marks
        return session_id

    # -- browsing -------------------------------------------------------------

    def list_sessions(self) -> list[SessionInfo]:
        """Every session, oldest first.

        A session still 'recording' whose recorder is gone is reported (and
        saved) as 'interrupted'.
        """
        with self._read("list sessions") as conn:
            rows = conn.execute(_INFO_SQL + " GROUP BY s.id ORDER BY s.id").fetchall()
        infos = [_info(row) for row in rows]
        self._persist_interrupted(infos, rows)
        return infos

    def session_info(self, session_id: int) -> SessionInfo:
        """One session's summary; StoreError if there is none with that id."""
        with self._read(f"read session {session_id}") as conn:
            row = _info_row(conn, session_id)
        info = _info(row)
        self._persist_interrupted([info], [row])
        return info

    def load_profile(self, session_id: int) -> Profile:
        """Rebuild the session's Profile: the same frames, stacks, threads, windows
        and counts that were written, its rate, and ``meta`` with the session's
        name, target, status, options, pid, started, ended, message and id.
        """
        with self._read(f"load session {session_id}") as conn:
            row = _info_row(conn, session_id)
            options, stored_meta = conn.execute(
                "SELECT options, meta FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            profile = load_tables(conn, self.path, session_id)
        info = _info(row)
        self._persist_interrupted([info], [row])
        profile.rate_hz = info.rate_hz
        profile.meta = {
            **_loads(stored_meta),
            "name": info.name,
            "target": info.target,
            "status": info.status,
            "options": _loads(options),
            "pid": info.pid,
            "started": info.started,
            "ended": info.ended,
            "message": info.message,
            "session_id": info.id,
        }
        return profile

    def resolve(self, ref: str) -> int:
        """The id of a session given as an id, a unique name, or 'last'/'latest'."""
        text = ref.strip()
        with self._read(f"find session {ref!r}") as conn:
            if text.lower() in _LATEST:
                found = conn.execute("SELECT MAX(id) FROM sessions").fetchone()[0]
                if found is None:
                    raise _no_session(ref)
                return int(found)
            if text.isascii() and text.isdigit():
                hit = conn.execute("SELECT id FROM sessions WHERE id = ?", (int(text),))
                if hit.fetchone() is not None:
                    return int(text)
            ids = [r[0] for r in conn.execute("SELECT id FROM sessions WHERE name = ?", (ref,))]
        if len(ids) == 1:
            return int(ids[0])
        if ids:
            listed = ", ".join(str(i) for i in sorted(ids))
            raise StoreError(f"{len(ids)} sessions are named {ref!r} (ids {listed}); use an id")
        raise _no_session(ref)

    # -- editing --------------------------------------------------------------

    def rename(self, session_id: int, name: str) -> None:
        """Give a session a new name."""
        with self._write(f"rename session {session_id}") as conn:
            cur = conn.execute("UPDATE sessions SET name = ? WHERE id = ?", (name, session_id))
            if cur.rowcount == 0:
                raise _no_session(str(session_id))

    def delete(self, session_id: int) -> None:
        """Remove a session and everything recorded in it."""
        with self._write(f"delete session {session_id}") as conn:
            cur = conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            if cur.rowcount == 0:
                raise _no_session(str(session_id))
        self._marks.pop(session_id, None)

    # -- internals ------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the session store {self.path} is already closed")
        return self._conn

    @contextmanager
    def _write(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One write transaction; sqlite3 errors become StoreError, nothing half-done stays."""
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise from_sqlite(exc, self.path, doing) from exc

    @contextmanager
    def _read(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One read transaction, so that several queries see the same snapshot."""
        conn = self._connection()
        try:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise from_sqlite(exc, self.path, doing) from exc

    def _session_marks(self, conn: sqlite3.Connection, session_id: int) -> Marks:
        if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
            raise _no_session(str(session_id))
        marks = self._marks.get(session_id)
        if marks is None:
            marks = (
                next_id(conn, "frames", session_id),
                next_id(conn, "stacks", session_id),
                next_id(conn, "threads", session_id),
            )
        return marks

    def _persist_interrupted(self, infos: Sequence[SessionInfo], rows: Sequence[Any]) -> None:
        """Save the 'interrupted' verdict; best effort (the file may be read-only)."""
        updates = [
            (info.status, info.ended, info.message, info.id, RECORDING)
            for info, row in zip(infos, rows, strict=True)
            if info.status == INTERRUPTED and row[4] == RECORDING
        ]
        if updates:
            with suppress(StoreError), self._write("mark interrupted sessions") as conn:
                conn.executemany(
                    "UPDATE sessions SET status = ?, ended = ?, message = ? "
                    "WHERE id = ? AND status = ?",
                    updates,
                )


# -- session summaries ------------------------------------------------------


def _info_row(conn: sqlite3.Connection, session_id: int) -> Any:
    row = conn.execute(_INFO_SQL + " WHERE s.id = ? GROUP BY s.id", (session_id,)).fetchone()
    if row is None:
        raise _no_session(str(session_id))
    return row


def _info(row: Sequence[Any]) -> SessionInfo:
    (sid, name, target, pid, status, started, ended, rate_hz, message, created,
     owner_pid, owner_host, owner_token,
     windows, samples, expected, first, last) = row  # fmt: skip
    if status == RECORDING and not owner_alive(owner_pid, owner_host, owner_token):
        status = INTERRUPTED
        ended = last if last is not None else started
        message = message or (
            f"the recording process (pid {owner_pid}) ended without finishing the session"
        )
    return SessionInfo(
        id=sid,
        name=name,
        target=target,
        pid=pid,
        status=status,
        started=started,
        ended=ended,
        samples=samples,
        windows=windows,
        lost_samples=max(0, expected - samples) if expected else 0,
        duration=max(0.0, last - first) if windows else 0.0,
        rate_hz=rate_hz,
        message=message,
        created=created,
    )


# -- small helpers ------------------------------------------------------------


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown session status {status!r}; expected one of {sorted(STATUSES)}")


def _no_session(ref: str) -> StoreError:
    return StoreError(f"no session {ref!r} (see `sovprof sessions`)")


def _lastrowid(cur: sqlite3.Cursor) -> int:
    if cur.lastrowid is None:  # pragma: no cover - INSERT always sets it
        raise StoreError("the session store did not return the new session's id")
    return cur.lastrowid


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

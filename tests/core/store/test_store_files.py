"""The store file: where it lives, what it is, and what is refused."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.model.profile import Profile
from app.core.store import APPLICATION_ID, SCHEMA_VERSION, Store, StoreError, default_store_path
from app.core.store.schema import MIGRATIONS, statements

ProfileFactory = Callable[..., Profile]


def _header(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    return app_id, version


def _real_store(path: Path, profile: Profile, copies: int = 1) -> None:
    with Store(path) as store:
        for i in range(copies):
            store.save_profile(profile, f"p{i}", "t")


def _assert_plain_message(exc: pytest.ExceptionInfo[StoreError]) -> None:
    text = str(exc.value)
    assert "\n" not in text
    assert "Error" not in text  # no exception type names
    assert "--store" in text or "move it aside" in text


def _use_everything(path: Path) -> None:
    with Store(path) as store:
        for info in store.list_sessions():
            store.load_profile(info.id)


def test_default_path_follows_sovprof_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOVPROF_HOME", str(tmp_path / "home"))
    assert default_store_path() == tmp_path / "home" / "sessions.sqlite"
    monkeypatch.delenv("SOVPROF_HOME")
    path = default_store_path()
    assert path.name == "sessions.sqlite"
    assert "sovprof" in str(path.parent)


def test_a_new_store_gets_our_identity_and_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "s.sqlite"
    Store(path).close()
    assert _header(path) == (APPLICATION_ID, SCHEMA_VERSION)


def test_migrations_are_a_forward_list() -> None:
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 1
    for script in MIGRATIONS:
        assert all(sqlite3.complete_statement(s + ";") for s in statements(script))


def test_an_empty_v0_file_is_upgraded(tmp_path: Path, make_profile: ProfileFactory) -> None:
    path = tmp_path / "s.sqlite"
    path.touch()
    with Store(path) as store:
        sid = store.save_profile(make_profile(), "p", "t")
    assert _header(path) == (APPLICATION_ID, SCHEMA_VERSION)
    with Store(path) as store:
        assert [s.id for s in store.list_sessions()] == [sid]


def test_an_sqlite_file_at_v0_without_tables_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE scratch (x)")
    conn.execute("DROP TABLE scratch")
    conn.commit()
    conn.close()
    assert path.stat().st_size > 0
    Store(path).close()
    assert _header(path) == (APPLICATION_ID, SCHEMA_VERSION)


def test_a_file_from_a_newer_sovprof_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StoreError) as exc:
        Store(path)
    assert "newer sovprof" in str(exc.value)
    assert f"schema {SCHEMA_VERSION + 5}" in str(exc.value)
    assert f"reads up to {SCHEMA_VERSION}" in str(exc.value)
    _assert_plain_message(exc)
    assert _header(path) == (APPLICATION_ID, SCHEMA_VERSION + 5)


def test_a_foreign_application_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE things (x)")
    conn.close()
    with pytest.raises(StoreError, match="is not a sovprof store") as exc:
        Store(path)
    _assert_plain_message(exc)
    assert _header(path) == (1234, 0)


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="is not a sovprof store"):
        Store(path)
    assert _header(path) == (0, 0)


@pytest.mark.parametrize(
    "content",
    [b"not a database at all\n" * 50, os.urandom(8192), b"SQLite format 3\x00" + b"\xff" * 200],
    ids=["text", "random", "bad-header"],
)
def test_garbage_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(content)
    with pytest.raises(StoreError) as exc:
        _use_everything(path)
    assert str(path) in str(exc.value)
    _assert_plain_message(exc)
    assert path.read_bytes() == content


def test_a_truncated_store_is_refused(tmp_path: Path, make_profile: ProfileFactory) -> None:
    path = tmp_path / "s.sqlite"
    _real_store(path, make_profile(windows=40), copies=20)
    size = path.stat().st_size
    assert size > 8 * 4096
    with path.open("r+b") as fh:
        fh.truncate(size // 2)
    with pytest.raises(StoreError) as exc:
        _use_everything(path)
    assert "move it aside" in str(exc.value)
    _assert_plain_message(exc)


def test_damaged_pages_raise_store_errors_only(
    tmp_path: Path, make_profile: ProfileFactory
) -> None:
    path = tmp_path / "s.sqlite"
    _real_store(path, make_profile(windows=40), copies=20)
    with path.open("r+b") as fh:
        fh.seek(4096)
        fh.write(os.urandom(path.stat().st_size - 4096))
    with pytest.raises(StoreError) as exc:
        _use_everything(path)
    _assert_plain_message(exc)


def test_a_folder_in_place_of_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is not a file"):
        Store(tmp_path)


def test_a_file_in_place_of_the_folder_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder") as exc:
        Store(blocker / "s.sqlite")
    _assert_plain_message(exc)


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions to bite"
)
def test_a_read_only_store_says_so(tmp_path: Path, make_profile: ProfileFactory) -> None:
    folder = tmp_path / "ro"
    path = folder / "s.sqlite"
    _real_store(path, make_profile())
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        with pytest.raises(StoreError, match=r"read-only|writable") as exc, Store(path) as store:
            store.create_session("x", "t", None, 100.0, {})
        _assert_plain_message(exc)
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_sessions()

"""Listing, naming, finding and deleting sessions; recorders that die."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.model.profile import Profile, Window
from app.core.store import STATUSES, Store, StoreError

ProfileFactory = Callable[..., Profile]
ROOT = Path(__file__).resolve().parents[3]


def test_list_sessions_summarises_each(tmp_path: Path, make_profile: ProfileFactory) -> None:
    profile = make_profile(windows=3)
    with Store(tmp_path / "s.sqlite") as store:
        imported = store.save_profile(profile, "imported", "file.json")
        live = store.create_session("live", "python app.py", 4242, 100.0, {"native": False})
        store.append_window(live, profile, 0)
        infos = store.list_sessions()
    assert [i.id for i in infos] == [imported, live]
    first, second = infos
    assert (first.name, first.target, first.status) == ("imported", "file.json", "imported")
    assert first.samples == profile.total_samples
    assert first.windows == 3
    assert first.lost_samples == profile.lost_samples
    assert first.duration == pytest.approx(profile.duration)
    assert (second.status, second.pid, second.windows, second.ended) == ("recording", 4242, 1, None)
    assert second.samples == sum(profile.window_totals()[:1])
    assert second.rate_hz == 100.0


def test_lost_samples_match_the_profile(tmp_path: Path) -> None:
    profile = Profile(rate_hz=100.0)
    thread = profile.add_thread(1, 1, "main")
    stack = profile.stacks.intern([profile.frames.intern("f", "f.py", 1)])
    for w, got in enumerate([90, 100, 0]):
        profile.add_window(Window(float(w), w + 1.0, expected=100))
        profile.add_samples(w, thread, {stack: got})
    profile.add_window(Window(3.0, 4.0))  # rate unknown for this one
    with Store(tmp_path / "s.sqlite") as store:
        info = store.session_info(store.save_profile(profile, "p", "t"))
    assert info.lost_samples == profile.lost_samples == 110
    assert info.duration == 4.0


def test_finish_session_records_status_and_message(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        sid = store.create_session("live", "t", 1, 100.0, {})
        store.finish_session(sid, "target exited", "exit code 3")
        info = store.session_info(sid)
        assert (info.status, info.message) == ("target exited", "exit code 3")
        assert info.ended is not None
        with pytest.raises(ValueError, match="unknown session status"):
            store.finish_session(sid, "bogus")
        with pytest.raises(StoreError, match="no session '77'"):
            store.finish_session(77, "complete")
    assert {"recording", "complete", "interrupted", "imported"} <= STATUSES


def test_rename_and_delete(tmp_path: Path, make_profile: ProfileFactory) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        a = store.save_profile(make_profile(), "a", "t")
        b = store.save_profile(make_profile(), "b", "t")
        store.rename(a, 'wörker "a;b" <x>')
        assert store.session_info(a).name == 'wörker "a;b" <x>'
        store.delete(b)
        assert [i.id for i in store.list_sessions()] == [a]
        with pytest.raises(StoreError, match="no session"):
            store.load_profile(b)
        with pytest.raises(StoreError, match="no session"):
            store.delete(b)
        with pytest.raises(StoreError, match="no session"):
            store.rename(b, "x")
    conn = sqlite3.connect(path)
    for table in ("frames", "stacks", "threads", "windows", "samples"):
        left = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE session = ?", (b,)).fetchone()
        assert left == (0,), table
    conn.close()


def test_ids_are_not_reused_after_delete(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        first = store.create_session("a", "t", None, 1.0, {})
        store.delete(first)
        assert store.create_session("b", "t", None, 1.0, {}) != first


def test_resolve_ids_names_and_latest(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        with pytest.raises(StoreError, match="no session 'last'"):
            store.resolve("last")
        a = store.create_session("alpha", "t", None, 1.0, {})
        b = store.create_session("42", "t", None, 1.0, {})
        c = store.create_session("dup", "t", None, 1.0, {})
        d = store.create_session("dup", "t", None, 1.0, {})
        assert store.resolve(str(a)) == a
        assert store.resolve("alpha") == a
        assert store.resolve("42") == b
        assert store.resolve("last") == store.resolve("latest") == store.resolve(" LAST ") == d
        with pytest.raises(StoreError, match=rf"2 sessions are named 'dup' \(ids {c}, {d}\)"):
            store.resolve("dup")
        with pytest.raises(StoreError) as exc:
            store.resolve("nope")
    assert str(exc.value) == "no session 'nope' (see `sovprof sessions`)"


def test_a_live_recorder_keeps_its_session_recording(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as recorder:
        sid = recorder.create_session("live", "t", None, 1.0, {})
        with Store(path) as viewer:
            assert viewer.session_info(sid).status == "recording"


def _set_owner(path: Path, sid: int, **columns: object) -> None:
    conn = sqlite3.connect(path)
    sets = ", ".join(f"{k} = ?" for k in columns)
    conn.execute(f"UPDATE sessions SET {sets} WHERE id = ?", (*columns.values(), sid))
    conn.commit()
    conn.close()


def test_a_reused_pid_does_not_count_as_the_recorder(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        sid = store.create_session("live", "t", None, 1.0, {})
    if not Path(f"/proc/{os.getpid()}/stat").exists():
        pytest.skip("start-time tokens need /proc")
    _set_owner(path, sid, owner_token="not-our-start-time")
    with Store(path) as store:
        assert store.session_info(sid).status == "interrupted"


def test_a_recorder_on_another_host_is_not_judged(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        sid = store.create_session("live", "t", None, 1.0, {})
    _set_owner(path, sid, owner_pid=2**22 + 12345, owner_host="some-other-host.invalid")
    with Store(path) as store:
        assert store.session_info(sid).status == "recording"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_sigkilled_recorder_leaves_an_interrupted_session(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from app.core.model.profile import Profile, Window
        from app.core.store import Store

        store = Store({str(path)!r})
        p = Profile(rate_hz=100.0)
        main = p.add_thread(os.getpid(), 1, "MainThread")
        sid = store.create_session("doomed", "python target.py", 4242, 100.0, {{}})
        for w in range(3):
            p.add_window(Window(10.0 + w, 11.0 + w, expected=100))
            leaf = p.frames.intern(f"step_{{w}}", "target.py", w + 1)
            p.add_samples(w, main, {{p.stacks.intern([leaf]): 97 + w}})
            store.append_window(sid, p, w)
        # A window in flight that never got written:
        p.add_window(Window(13.0, 14.0, expected=100))
        print(sid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    sid = int(proc.stdout.strip())
    with Store(path) as store:
        (info,) = store.list_sessions()
        assert (info.id, info.status, info.windows) == (sid, "interrupted", 3)
        assert info.samples == 97 + 98 + 99
        assert info.ended == 13.0
        assert "ended without finishing" in (info.message or "")
        profile = store.load_profile(sid)
    assert [w.start for w in profile.windows] == [10.0, 11.0, 12.0]
    assert profile.total_samples == 97 + 98 + 99
    assert [profile.frames.frames[f].function for f in range(3)] == ["step_0", "step_1", "step_2"]
    assert profile.meta["status"] == "interrupted"
    conn = sqlite3.connect(path)
    persisted = conn.execute("SELECT status FROM sessions WHERE id = ?", (sid,)).fetchone()
    conn.close()
    assert persisted == ("interrupted",)

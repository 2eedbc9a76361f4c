"""Counters stored with their windows, and the v1 → v2 migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.core.counters.base import CounterSpec, Unsupported
from app.core.model.profile import Profile, Window
from app.core.store import SCHEMA_VERSION, Store


def test_counters_commit_with_their_window_and_load_back(tmp_path: Path) -> None:
    p = Profile(rate_hz=100)
    s = p.stacks.intern([p.frames.intern("f", "x.py", 1)])
    t = p.add_thread(1, 1, "main")
    specs = [
        CounterSpec("perf.task-clock", "ns", "delta", "CPU time"),
        CounterSpec("proc.rss", "bytes", "gauge", "resident set"),
    ]
    unsupported = [Unsupported("perf.cycles", "not supported by this VM (ENOENT)", "")]
    with Store(tmp_path / "s.sqlite") as store:
        sid = store.create_session("n", "t", 1, 100.0, {})
        store.set_counter_info(sid, specs, unsupported)
        for w in range(3):
            idx = p.add_window(Window(float(w), w + 1.0, 10))
            p.add_samples(idx, t, {s: 10})
            values = {"perf.task-clock": 1e9 * (w + 1), "proc.rss": 1000.0 + w}
            store.append_window(sid, p, idx, (w + 0.01, w + 1.01, values))
        series = store.load_counters(sid)
    assert set(series.specs) == {"perf.task-clock", "proc.rss"}
    assert series.unsupported == unsupported
    assert series.column("perf.task-clock") == [(0, 1e9), (1, 2e9), (2, 3e9)]
    assert series.total("perf.task-clock") == 6e9
    assert series.total("proc.rss") == 1001.0  # a gauge averages
    assert series.total("perf.task-clock", {1, 2}) == 5e9
    assert series.intervals[2] == (2.01, 3.01)
    assert series.total("perf.cycles") is None  # unsupported is never zero


def test_a_v1_store_is_migrated_and_keeps_its_sessions(tmp_path: Path) -> None:
    from app.core.store.schema import MIGRATIONS, statements

    path = tmp_path / "v1.sqlite"
    con = sqlite3.connect(path)
    for stmt in statements(MIGRATIONS[0]):
        con.execute(stmt)
    con.execute("PRAGMA application_id = 0x53505246")
    con.execute("PRAGMA user_version = 1")
    con.execute("INSERT INTO sessions (name, status, created) VALUES ('old one', 'complete', 0)")
    con.commit()
    con.close()
    with Store(path) as store:
        (info,) = store.list_sessions()
        assert info.name == "old one"
        assert store.load_counters(info.id).specs == {}
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 3
    con.close()

"""Cluster profiles in the GUI: the thread filter grouped by host and worker, and a live
recording of a real embedded Dask cluster from the main window."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from app.core.model.profile import Profile, Window
from app.core.model.workers import split_worker_thread, worker_thread_name
from app.core.sampling.pyspy import SamplerOptions
from app.ui.main_window import MainWindow
from app.ui.recording import RecordingController, Target
from app.ui.state import ViewState
from app.ui.timeline import GROUP_ROLE, TimelineWidget

A = "tcp://10.0.0.7:40123"
B = "tcp://10.0.0.7:40555"
C = "tcp://10.0.0.8:40123"


def cluster_profile() -> Profile:
    """Two hosts, three workers: A (2 threads), B (1), C (1); 3 windows."""
    p = Profile(rate_hz=100)
    s = p.stacks.intern([p.frames.intern("crunch", "w.py", 1)])
    for addr, host, pid, tid, name in (
        (A, "10.0.0.7", 7, 7, "MainThread"),
        (A, "10.0.0.7", 7, 9, "Dask-Default-Threads-7-0"),
        (B, "10.0.0.7", 12, 12, "MainThread"),
        (C, "10.0.0.8", 7, 7, "MainThread"),
    ):
        p.add_thread(pid, tid, worker_thread_name(addr, host, name))
    for i in range(3):
        w = p.add_window(Window(1000.0 + i, 1001.0 + i))
        for t, n in enumerate((10, 30, 5, 20)):
            p.add_samples(w, t, {s: n})
    return p


@pytest.fixture
def timeline(qtbot: QtBot) -> TimelineWidget:
    state = ViewState()
    state.set_profile(cluster_profile())
    w = TimelineWidget(state)
    qtbot.addWidget(w)
    w.resize(900, 300)
    w.show()
    qtbot.waitExposed(w)
    return w


def children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [c for i in range(item.childCount()) if (c := item.child(i)) is not None]


def test_thread_filter_groups_by_host_then_worker(timeline: TimelineWidget) -> None:
    lst = timeline.threads_list
    hosts = [lst.topLevelItem(i) for i in range(lst.topLevelItemCount())]
    assert [h.text(0) for h in hosts] == ["host 10.0.0.7 · 2 workers", "host 10.0.0.8 · 1 worker"]
    workers = children(hosts[0])
    assert [w.text(0) for w in workers] == ["10.0.0.7:40123 · pid 7", "10.0.0.7:40555 · pid 12"]
    assert [t.text(0) for t in children(workers[0])] == [
        "MainThread (7)",
        "Dask-Default-Threads-7-0 (9)",
    ]
    assert hosts[0].text(1) == str(3 * (10 + 30 + 5)) and workers[1].text(1) == "15"
    assert all(h.checkState(0) == Qt.CheckState.Checked for h in hosts)


def test_pick_one_worker_or_one_host(qtbot: QtBot, timeline: TimelineWidget) -> None:
    state, lst = timeline.state, timeline.threads_list
    host7 = lst.topLevelItem(0)
    worker_a, worker_b = children(host7)
    # double-click: that worker alone
    timeline._solo(worker_b, 0)
    assert state.threads == frozenset({2})
    assert state.view_profile().total_samples == 15
    assert worker_b.checkState(0) == Qt.CheckState.Checked
    assert worker_a.checkState(0) == Qt.CheckState.Unchecked
    assert host7.checkState(0) == Qt.CheckState.PartiallyChecked
    # the host's box adds all its workers
    host7.setCheckState(0, Qt.CheckState.Checked)
    assert state.threads == frozenset({0, 1, 2})
    assert state.view_profile().total_samples == 3 * 45
    # one host alone, then a worker's box takes it away again
    timeline._solo(lst.topLevelItem(1), 0)
    assert state.threads == frozenset({3})
    qtbot.waitUntil(lambda: len(timeline.data.series) == 1)
    timeline.all_button.click()
    assert state.threads is None
    worker_a.setCheckState(0, Qt.CheckState.Unchecked)
    assert state.threads == frozenset({2, 3})
    members = worker_a.data(0, GROUP_ROLE)
    assert tuple(members) == (0, 1)


@pytest.mark.pyspy
@pytest.mark.slow
def test_records_an_embedded_cluster_live(qtbot: QtBot, sovprof_home: Path) -> None:
    pytest.importorskip("distributed")
    settings = QSettings(str(sovprof_home / "gui.ini"), QSettings.Format.IniFormat)
    win = MainWindow(sovprof_home / "sessions.sqlite", settings, restore=False)
    qtbot.addWidget(win)
    win.show()
    assert win.start_page.cluster_button.isEnabled()
    file_menu = win.menuBar().actions()[0].menu()
    assert "Profile Dask cluster…" in [a.text() for a in file_menu.actions()]
    try:
        win.record_cluster("embedded")

        def two_workers_busy() -> bool:
            names = [n for n, _ in win.state.profile.frames.functions]
            pids = {t.pid for t in win.state.profile.threads if split_worker_thread(t.name)}
            return len(pids) == 2 and "crunch_numbers" in names

        qtbot.waitUntil(two_workers_busy, timeout=30_000)
        win.docks["timeline"].raise_()
        qtbot.waitUntil(lambda: win.timeline.threads_list.topLevelItemCount() == 1)
        host = win.timeline.threads_list.topLevelItem(0)
        assert host.text(0) == "host 127.0.0.1 · 2 workers"
        assert len(children(host)) == 2
        pids = {t.pid for t in win.state.profile.threads}
    finally:
        win.recorder.stop()
        qtbot.waitUntil(lambda: win.recorder.state == "stopped", timeout=20_000)
        win.recorder.shutdown()
    assert win.recorder.session is not None
    give_up = time.monotonic() + 15
    while any(psutil.pid_exists(p) for p in pids) and time.monotonic() < give_up:
        time.sleep(0.1)
    assert not any(psutil.pid_exists(p) for p in pids), "embedded cluster left workers"


def test_unreachable_scheduler_fails_in_one_line(qtbot: QtBot, sovprof_home: Path) -> None:
    rec = RecordingController(sovprof_home / "sessions.sqlite")
    messages: list[str] = []
    rec.failed.connect(messages.append)
    rec.start(Target.cluster("tcp://127.0.0.1:9"), SamplerOptions())
    qtbot.waitUntil(lambda: rec.state == "failed", timeout=10_000)
    rec.shutdown()
    assert messages == ["cannot reach Dask scheduler tcp://127.0.0.1:9: connection refused"]

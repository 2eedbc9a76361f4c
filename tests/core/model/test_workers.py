"""Worker identity in thread names: naming, parsing back, grouping by host and worker."""

from __future__ import annotations

from app.core.model.profile import Profile, ThreadInfo, Window, filter_threads
from app.core.model.workers import (
    host_groups,
    host_threads,
    is_cluster_profile,
    short_label,
    split_worker_thread,
    worker_thread_name,
    worker_threads,
)


def cluster_profile() -> Profile:
    """Two hosts; the same pid and tid on both (containers) must stay two threads."""
    p = Profile(rate_hz=100)
    s = p.stacks.intern([p.frames.intern("work", "w.py", 1)])
    w = p.add_window(Window(0.0, 1.0))
    for i, (addr, host, pid, tid, name, n) in enumerate(
        [
            ("tcp://10.0.0.7:40123", "10.0.0.7", 7, 7, "MainThread", 10),
            ("tcp://10.0.0.7:40123", "10.0.0.7", 7, 9, "Dask-Default-Threads-7-0", 30),
            ("tcp://10.0.0.8:40123", "10.0.0.8", 7, 7, "MainThread", 20),
            ("tcp://10.0.0.7:40555", "10.0.0.7", 12, 12, "", 5),
        ]
    ):
        assert p.add_thread(pid, tid, worker_thread_name(addr, host, name)) == i
        p.add_samples(w, i, {s: n})
    p.add_thread(99, 99, "MainThread")  # not a worker thread
    p.add_samples(w, 4, {s: 1})
    return p


def test_names_round_trip_even_with_odd_thread_names() -> None:
    for thread in ("MainThread", "", "a · b (c)", "worker x (host y) · z"):
        name = worker_thread_name("tcp://127.0.0.1:40123", "127.0.0.1", thread)
        parts = split_worker_thread(name)
        assert parts is not None
        assert (parts.address, parts.host, parts.thread_name) == (
            "tcp://127.0.0.1:40123",
            "127.0.0.1",
            thread,
        )
    assert split_worker_thread("MainThread") is None
    assert short_label(ThreadInfo(1, 5, worker_thread_name("a", "h", "Main"))) == "Main (5)"
    assert short_label(ThreadInfo(1, 5, worker_thread_name("a", "h", ""))) == "thread 5"
    assert short_label(ThreadInfo(1, 5, "plain")) == "plain (5)"


def test_groups_by_host_then_worker() -> None:
    p = cluster_profile()
    assert len(p.threads) == 5  # equal pid/tid on two hosts: two threads
    assert is_cluster_profile(p.threads)
    assert not is_cluster_profile([ThreadInfo(1, 1, "MainThread")])
    hosts, loose = host_groups(p.threads)
    assert [h.host for h in hosts] == ["10.0.0.7", "10.0.0.8"]
    assert [w.address for w in hosts[0].workers] == [
        "tcp://10.0.0.7:40123",
        "tcp://10.0.0.7:40555",
    ]
    assert hosts[0].workers[0].threads == (0, 1) and hosts[0].workers[0].pids == (7,)
    assert hosts[0].threads == (0, 1, 3)
    assert hosts[1].label == "host 10.0.0.8 · 1 worker"
    assert hosts[0].label == "host 10.0.0.7 · 2 workers"
    assert hosts[0].workers[1].label == "10.0.0.7:40555 · pid 12"
    assert loose == [4]


def test_filter_by_worker_or_host() -> None:
    p = cluster_profile()
    assert worker_threads(p, "tcp://10.0.0.7:40123") == [0, 1]
    assert filter_threads(p, worker_threads(p, "tcp://10.0.0.7:40123")).total_samples == 40
    assert filter_threads(p, host_threads(p, "10.0.0.7")).total_samples == 45
    assert filter_threads(p, host_threads(p, "10.0.0.8")).total_samples == 20
    assert worker_threads(p, "tcp://nowhere:1") == []

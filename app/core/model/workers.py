"""Which Dask worker, and which host, a sampled thread belongs to.

A cluster profile keeps the store's thread rows as they are (pid, tid, name): the
worker's identity travels in the thread name, as
``worker ADDRESS (host HOST) · THREAD``.  So a session recorded from a cluster loads,
exports and diffs like any other, and two workers on different hosts (or containers)
that happen to share a pid stay different threads.  The functions here read that
naming back: per-worker and per-host groups for the thread filter, and the thread
indices of one worker or one host.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.core.model.profile import Profile, ThreadInfo

_WORKER_RE = re.compile(r"^worker (\S+) \(host ([^()]*)\) · (.*)$", re.S)


@dataclass(frozen=True)
class WorkerThread:
    """A thread name split into the worker it ran in and its own name."""

    address: str
    host: str
    thread_name: str


def worker_thread_name(address: str, host: str, thread_name: str) -> str:
    """The name a thread of worker ``address`` on ``host`` gets in a cluster profile."""
    return f"worker {address} (host {host}) · {thread_name}"


def split_worker_thread(name: str) -> WorkerThread | None:
    """The worker and thread of a cluster thread name; None for an ordinary thread."""
    m = _WORKER_RE.match(name)
    if m is None:
        return None
    return WorkerThread(m.group(1), m.group(2), m.group(3))


def short_address(address: str) -> str:
    """A worker address without its ``tcp://`` scheme (others keep theirs)."""
    return address[len("tcp://") :] if address.startswith("tcp://") else address


def series_label(info: ThreadInfo) -> str:
    """A compact label naming the worker, for legends: ``HOST:PORT · THREAD (TID)``."""
    parts = split_worker_thread(info.name)
    if parts is None:
        return info.label
    return f"{short_address(parts.address)} · {short_label(info)}"


def short_label(info: ThreadInfo) -> str:
    """The thread's label without its worker prefix (for rows under a worker)."""
    parts = split_worker_thread(info.name)
    if parts is None:
        return info.label
    return f"{parts.thread_name} ({info.tid})" if parts.thread_name else f"thread {info.tid}"


@dataclass(frozen=True)
class WorkerGroup:
    """The threads (indices into ``Profile.threads``) of one worker."""

    address: str
    host: str
    pids: tuple[int, ...]
    threads: tuple[int, ...]

    @property
    def label(self) -> str:
        pids = ", ".join(map(str, self.pids))
        return f"{short_address(self.address)} · pid {pids}"


@dataclass(frozen=True)
class HostGroup:
    """The workers of one host, and all their threads."""

    host: str
    workers: tuple[WorkerGroup, ...]

    @property
    def threads(self) -> tuple[int, ...]:
        return tuple(t for w in self.workers for t in w.threads)

    @property
    def label(self) -> str:
        n = len(self.workers)
        return f"host {self.host} · {n} worker{'s' if n != 1 else ''}"


def is_cluster_profile(threads: Iterable[ThreadInfo]) -> bool:
    """True when any thread carries a worker identity."""
    return any(split_worker_thread(t.name) is not None for t in threads)


def host_groups(threads: Iterable[ThreadInfo]) -> tuple[list[HostGroup], list[int]]:
    """Threads grouped by host, then worker (both sorted), and the ungrouped threads."""
    by_worker: dict[tuple[str, str], list[int]] = {}
    pids: dict[tuple[str, str], list[int]] = {}
    loose: list[int] = []
    for i, info in enumerate(threads):
        parts = split_worker_thread(info.name)
        if parts is None:
            loose.append(i)
            continue
        key = (parts.host, parts.address)
        by_worker.setdefault(key, []).append(i)
        seen = pids.setdefault(key, [])
        if info.pid not in seen:
            seen.append(info.pid)
    hosts: dict[str, list[WorkerGroup]] = {}
    for (host, address), members in sorted(by_worker.items()):
        group = WorkerGroup(address, host, tuple(pids[(host, address)]), tuple(members))
        hosts.setdefault(host, []).append(group)
    return [HostGroup(h, tuple(ws)) for h, ws in hosts.items()], loose


def worker_threads(profile: Profile, address: str) -> list[int]:
    """Indices of the threads of the worker at ``address``."""
    return [
        i
        for i, t in enumerate(profile.threads)
        if (p := split_worker_thread(t.name)) is not None and p.address == address
    ]


def host_threads(profile: Profile, host: str) -> list[int]:
    """Indices of the threads of every worker on ``host``."""
    return [
        i
        for i, t in enumerate(profile.threads)
        if (p := split_worker_thread(t.name)) is not None and p.host == host
    ]

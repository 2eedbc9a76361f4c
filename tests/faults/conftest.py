"""Fixtures of the fault matrix: homes, tmpfs mounts, a store with a real recording."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fault_support import (
    STORE_NAME,
    Committed,
    mount_tmpfs,
    read_committed,
    running,
    start_program,
    umount,
)

from sovprof_testing import run_cli


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty SOVPROF_HOME (the store is ``home / STORE_NAME``)."""
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``tmpfs(size)`` mounts a fresh tmpfs and returns where; skips unless root can mount."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        where = tmp_path / f"tmpfs{len(mounted)}"
        if not mount_tmpfs(where, size):
            pytest.skip("needs root and mount(2) to make a small or read-only file system")
        mounted.append(where)
        return where

    yield mount
    for where in reversed(mounted):
        umount(where)


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Committed]:
    """A store holding one real 2-second recording, and what it committed.

    Tests copy the file before damaging it.
    """
    home = tmp_path_factory.mktemp("recorded")
    with running(start_program("ratio_70_30", "60")) as target:
        res = run_cli("record", "--pid", str(target.pid), "--duration", "2", "--quiet", home=home)
    assert res.returncode == 0, res.stderr
    store = home / STORE_NAME
    committed = read_committed(store, 1)
    assert len(committed.windows) >= 2
    return store, committed

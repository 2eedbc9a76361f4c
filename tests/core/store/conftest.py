"""Profiles to store, built the way the sampler builds them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.core.model.profile import Profile, Window

ProfileFactory = Callable[..., Profile]


def build_profile(
    windows: int = 3, thread_name: str = "MainThread", function_prefix: str = "work"
) -> Profile:
    """A small two-thread profile whose windows each see different stacks."""
    p = Profile(rate_hz=100.0, meta={"source": "test"})
    main = p.add_thread(4242, 4242, thread_name)
    worker = p.add_thread(4242, 4250, "worker")
    root = p.frames.intern("<module>", "app.py", 1)
    for w in range(windows):
        p.add_window(Window(1000.0 + w, 1001.0 + w, expected=100, errors=w % 2))
        leaf = p.frames.intern(f"{function_prefix}_{w}", "lib/mod.py", 10 + w)
        inner = p.frames.intern("inner", "lib/mod.py", 99)
        s1 = p.stacks.intern([root, leaf])
        s2 = p.stacks.intern([root, leaf, inner])
        p.add_samples(w, main, {s1: 60 + w, s2: 30})
        p.add_samples(w, worker, {s2: 5})
    return p


@pytest.fixture
def make_profile() -> ProfileFactory:
    return build_profile


def assert_same_profile(got: Profile, want: Profile) -> None:
    assert got.frames.frames == want.frames.frames
    assert got.frames.functions == want.frames.functions
    assert len(got.stacks) == len(want.stacks)
    for sid in range(len(want.stacks)):
        assert got.stacks.frames_of(sid) == want.stacks.frames_of(sid)
    assert got.stacks.parent == want.stacks.parent
    assert got.stacks.depth == want.stacks.depth
    assert got.threads == want.threads
    assert got.windows == want.windows
    assert got.counts == want.counts
    assert got.rate_hz == want.rate_hz
    assert got.total_samples == want.total_samples


@pytest.fixture
def same_profile() -> Callable[[Profile, Profile], None]:
    return assert_same_profile

"""Profiles go into the store and come back unchanged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.model.profile import Profile, Window
from app.core.store import Store, StoreError

ProfileFactory = Callable[..., Profile]
SameProfile = Callable[[Profile, Profile], None]

AWKWARD = 'wörker "a;b" <x>'
AWKWARD_NAMES = [
    AWKWARD,
    "frame;with;semicolons",
    "name with spaces",
    "<script>alert('x')</script>",
    "quotes ' \" `back`",
    "日本語 ünïcödé ✓",
    "",
]


def test_save_then_load_is_equal(
    tmp_path: Path, make_profile: ProfileFactory, same_profile: SameProfile
) -> None:
    profile = make_profile(windows=4)
    with Store(tmp_path / "s.sqlite") as store:
        sid = store.save_profile(profile, "imported one", "py-spy file x.json", pid=7)
        loaded = store.load_profile(sid)
    same_profile(loaded, profile)
    assert loaded.meta["name"] == "imported one"
    assert loaded.meta["target"] == "py-spy file x.json"
    assert loaded.meta["status"] == "imported"
    assert loaded.meta["pid"] == 7
    assert loaded.meta["source"] == "test"


def test_load_in_a_new_store_object(
    tmp_path: Path, make_profile: ProfileFactory, same_profile: SameProfile
) -> None:
    profile = make_profile()
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        sid = store.save_profile(profile, "p", "t")
    with Store(path) as store:
        same_profile(store.load_profile(sid), profile)


@pytest.mark.parametrize("text", AWKWARD_NAMES)
def test_awkward_text_round_trips_unchanged(
    tmp_path: Path, text: str, same_profile: SameProfile
) -> None:
    profile = Profile(rate_hz=99.0)
    thread = profile.add_thread(1, 2, text)
    profile.add_window(Window(1.0, 2.0))
    frame = profile.frames.intern(text, f"/tmp/{text}/file.py", 3)
    stack = profile.stacks.intern([frame])
    profile.add_samples(0, thread, {stack: 4})
    with Store(tmp_path / "s.sqlite") as store:
        sid = store.save_profile(profile, text, text, options={"label": text})
        loaded = store.load_profile(sid)
        info = store.session_info(sid)
    same_profile(loaded, profile)
    assert loaded.frames.frames[0].function == text
    assert loaded.threads[0].name == text
    assert loaded.meta["name"] == text
    assert loaded.meta["target"] == text
    assert loaded.meta["options"] == {"label": text}
    assert info.name == text


def test_append_window_by_window_then_load(
    tmp_path: Path, make_profile: ProfileFactory, same_profile: SameProfile
) -> None:
    full = make_profile(windows=5, thread_name=AWKWARD)
    growing = Profile(rate_hz=full.rate_hz)
    with Store(tmp_path / "s.sqlite") as store:
        sid = store.create_session("live", "python app.py", 4242, 100.0, {"gil": True})
        for w in range(len(full.windows)):
            _grow_to(growing, full, w)
            store.append_window(sid, growing, w)
            partial = store.load_profile(sid)
            assert len(partial.windows) == w + 1
            same_profile(partial, growing)
        store.finish_session(sid, "complete")
        loaded = store.load_profile(sid)
    same_profile(loaded, full)
    assert loaded.meta["status"] == "complete"
    assert loaded.meta["options"] == {"gil": True}
    assert loaded.meta["ended"] is not None


def test_a_new_store_object_continues_a_session(
    tmp_path: Path, make_profile: ProfileFactory, same_profile: SameProfile
) -> None:
    full = make_profile(windows=4)
    growing = Profile(rate_hz=full.rate_hz)
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        sid = store.create_session("live", "t", None, 100.0, {})
        for w in range(2):
            _grow_to(growing, full, w)
            store.append_window(sid, growing, w)
    with Store(path) as store:
        for w in range(2, 4):
            _grow_to(growing, full, w)
            store.append_window(sid, growing, w)
        same_profile(store.load_profile(sid), full)


def test_writing_a_window_again_replaces_it(
    tmp_path: Path, make_profile: ProfileFactory, same_profile: SameProfile
) -> None:
    profile = make_profile(windows=2)
    with Store(tmp_path / "s.sqlite") as store:
        sid = store.create_session("live", "t", None, 100.0, {})
        store.append_window(sid, profile, 0)
        store.append_window(sid, profile, 1)
        profile.add_samples(1, 0, {0: 1000})
        store.append_window(sid, profile, 1)
        same_profile(store.load_profile(sid), profile)
        assert store.session_info(sid).samples == profile.total_samples


def test_an_empty_profile_round_trips(tmp_path: Path, same_profile: SameProfile) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        sid = store.save_profile(Profile(), "empty", "")
        same_profile(store.load_profile(sid), Profile())
        info = store.session_info(sid)
    assert (info.samples, info.windows, info.lost_samples, info.duration) == (0, 0, 0, 0.0)


def test_sessions_do_not_mix(
    tmp_path: Path, make_profile: ProfileFactory, same_profile: SameProfile
) -> None:
    a = make_profile(windows=2, function_prefix="a")
    b = make_profile(windows=3, function_prefix="b")
    with Store(tmp_path / "s.sqlite") as store:
        sid_a = store.create_session("a", "t", None, 100.0, {})
        sid_b = store.save_profile(b, "b", "t")
        store.append_window(sid_a, a, 0)
        store.append_window(sid_a, a, 1)
        same_profile(store.load_profile(sid_a), a)
        same_profile(store.load_profile(sid_b), b)


def test_appending_to_a_missing_session_is_refused(
    tmp_path: Path, make_profile: ProfileFactory
) -> None:
    with Store(tmp_path / "s.sqlite") as store, pytest.raises(StoreError, match="no session '9'"):
        store.append_window(9, make_profile(), 0)


def _grow_to(growing: Profile, full: Profile, window: int) -> None:
    """Make ``growing`` what the sampler would have after ``window``: the same ids."""
    for frame in full.frames.frames[len(growing.frames) :]:
        growing.frames.intern(*frame)
    for sid in range(len(growing.stacks), len(full.stacks)):
        growing.stacks.intern_child(full.stacks.parent[sid], full.stacks.frame[sid])
    for info in full.threads:
        growing.add_thread(info.pid, info.tid, info.name)
    growing.add_window(full.windows[window])
    for (w, t), cell in full.counts.items():
        if w == window:
            growing.add_samples(w, t, cell)


def test_thread_named_after_its_first_window_is_renamed_in_the_store(tmp_path: Path) -> None:
    p = Profile(rate_hz=100)
    f = p.frames.intern("f", "x.py", 1)
    s = p.stacks.intern([f])
    with Store(tmp_path / "s.sqlite") as store:
        sid = store.create_session("n", "t", 1, 100.0, {})
        w0 = p.add_window(Window(0.0, 1.0, 10))
        p.add_samples(w0, p.add_thread(1, 5, ""), {s: 3})
        store.append_window(sid, p, w0)
        w1 = p.add_window(Window(1.0, 2.0, 10))
        p.add_samples(w1, p.add_thread(1, 5, "MainThread"), {s: 4})
        store.append_window(sid, p, w1)
        loaded = store.load_profile(sid)
    assert [t.name for t in loaded.threads] == ["MainThread"]
    assert loaded.total_samples == 7

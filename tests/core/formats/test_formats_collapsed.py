"""Collapsed stacks: py-spy-compatible text out, py-spy raw and folded stacks in."""

from __future__ import annotations

from collections import Counter

import pytest

from app.core.formats import IMPORTERS, RENDERERS, ImportFormatError, import_bytes, sniff
from app.core.formats.collapsed_text import EMPTY_STACK
from app.core.model.frames import Frame
from app.core.model.profile import Profile, ThreadInfo, Window
from formats_helpers import DATA, HOSTILE, build_hostile_profile, sample_multiset

renderer = RENDERERS["collapsed"]


def small_profile() -> Profile:
    p = Profile(rate_hz=100.0)
    t = p.add_thread(10, 11, "MainThread")
    p.add_window(Window(0.0, 1.0))
    p.add_window(Window(1.0, 2.0))
    mod = p.frames.intern("<module>", "app.py", 3)
    work = p.frames.intern("work", "lib/w.py", 0)
    native = p.frames.intern("memcpy", "", 0)
    p.add_samples(0, t, {p.stacks.intern([mod, work]): 2})
    p.add_samples(1, t, {p.stacks.intern([mod, work]): 3, p.stacks.intern([mod, native]): 1})
    return p


def test_render_writes_pyspy_style_lines() -> None:
    text = renderer.render(small_profile()).decode()
    assert text == (
        "thread (11): MainThread;<module> (app.py:3);memcpy () 1\n"
        "thread (11): MainThread;<module> (app.py:3);work (lib/w.py) 5\n"
    )


def test_renderer_says_it_is_lossy() -> None:
    assert renderer.lossy and "speedscope" in renderer.lossy
    assert RENDERERS["speedscope"].lossy is None
    assert renderer.warnings(small_profile()) == ["the 2 windows are merged into one"]


def test_round_trip_for_names_without_semicolons() -> None:
    # " (" in a function name is read as the start of the file (documented).
    names = [n for n in HOSTILE if not any(c in n for c in ";\r\n") and " (" not in n]
    p = build_hostile_profile(names=names)
    data = renderer.render(p)
    assert renderer.warnings(p) == ["the 3 windows are merged into one"]
    q = import_bytes(data, "stacks.txt")
    assert q.meta["source_format"] == "pyspy-raw"
    assert sample_multiset(q) == sample_multiset(p)
    assert len(q.windows) == 1


def test_semicolons_and_line_breaks_are_replaced_and_reported() -> None:
    p = build_hostile_profile(windows=1)
    data = renderer.render(p)
    (warning,) = renderer.warnings(p)
    assert "';'" in warning and "':'" in warning
    lines = data.decode().splitlines()
    assert len(lines) == len(sample_multiset(p))  # no name added a line
    q = import_bytes(data, "lossy.txt")
    assert q.total_samples == p.total_samples
    names = {t.name for t in q.threads}
    assert "semi:colon" in names and "new line " in names


def test_pyspy_raw_names_split_at_semicolons_are_rejoined() -> None:
    path = DATA / "pyspy-0.4.3-weird-names.raw.txt"
    data = path.read_bytes()
    p = import_bytes(data, path.name)
    assert p.total_samples == sum(int(line.rsplit(b" ", 1)[1]) for line in data.splitlines())
    assert {t.name for t in p.threads} == {
        "MainThread",
        'wörker;thread <script>alert("x")</script> ✓',
    }
    hot = Frame("hot;path <b>\"quoted\"</b> 'single' é中文🔥", 'odd dir;name <x> "q" ü.py', 8)
    assert hot in p.frames.frames
    assert EMPTY_STACK in p.frames.frames  # the 'thread (…): MainThread 3' line


@pytest.mark.parametrize(
    ("line", "thread", "frames"),
    [
        (
            'process 12:"python -c a;b";thread (0x7F3A): pool (1);f (a.py:1);g () 3',
            ThreadInfo(12, 0x7F3A, "pool (1)"),
            [Frame("f", "a.py", 1), Frame("g", "", 0)],
        ),
        (
            "f (C:\\x (y)\\a.py:1);g (b.py) 3",
            ThreadInfo(0, 0, ""),
            [Frame("f", "C:\\x (y)\\a.py", 1), Frame("g", "b.py", 0)],
        ),
        (
            "thread (5): a;b;<module> (m.py:2);x;y (odd;dir/f.py:-1) 3",
            ThreadInfo(0, 5, "a;b"),
            [Frame("<module>", "m.py", 2), Frame("x;y", "odd;dir/f.py", -1)],
        ),
    ],
)
def test_pyspy_raw_lines(line: str, thread: ThreadInfo, frames: list[Frame]) -> None:
    p = import_bytes(line.encode() + b"\n", "raw.txt")
    assert p.meta["source_format"] == "pyspy-raw"
    assert p.threads == [thread]
    (cell,) = p.counts.values()
    (sid,) = cell
    assert [p.frames.frames[f] for f in p.stacks.frames_of(sid)] == frames


def test_plain_collapsed_keeps_every_segment() -> None:
    data = b"main;foo;bar 5\nmain;foo (x 2\nmain 1\n"
    assert sniff(data) is IMPORTERS["collapsed"]
    p = import_bytes(data, "perf.folded")
    got: Counter[tuple[str, ...]] = Counter()
    for cell in p.counts.values():
        for sid, n in cell.items():
            got[tuple(p.frames.frames[f].function for f in p.stacks.frames_of(sid))] += n
    assert got == {("main", "foo", "bar"): 5, ("main", "foo (x"): 2, ("main",): 1}


def test_counts_of_repeated_stacks_add_up() -> None:
    p = import_bytes(b"a (x.py:1) 2\r\n\r\na (x.py:1)\t3\n", "dup.txt")
    assert p.total_samples == 5 and len(p.stacks) == 1


def test_a_first_stack_longer_than_the_sniffed_head_is_recognised() -> None:
    deep = ";".join(f"recurse (deep/module_{i}.py:{i})" for i in range(4000))
    data = f"thread (1): main;{deep} 7\nthread (1): main;top (a.py:1) 1\n".encode()
    assert len(data.split(b"\n")[0]) > 64 * 1024
    p = import_bytes(data, "deep.txt")
    assert p.meta["source_format"] == "pyspy-raw" and p.total_samples == 8
    assert max(p.stacks.depth) == 4000


def test_an_absurd_count_is_an_import_error() -> None:
    with pytest.raises(ImportFormatError, match="line 1: sample count of 5000 digits"):
        import_bytes(b"a (x.py:1) " + b"9" * 5000 + b"\n", "big.txt")

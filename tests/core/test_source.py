"""Source loading (with one-line reasons), radon complexity, per-line samples."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from app.core.model.profile import Profile, Window
from app.core.source import (
    FunctionComplexity,
    SourceError,
    SourceFile,
    complexity,
    complexity_for,
    file_functions,
    file_line_counts,
    find_complexity,
    function_complexities,
    load_source,
)

CODE = """\
import sys


def branchy(x, y):
    if x > 0:
        return 1
    elif x < 0:
        return 2
    if y:
        for i in range(3):
            if i == y:
                return i
    return 0


class Shape:
    def area(self, kind):
        if kind == "square":
            return 1
        return 0

    class Inner:
        def deep(self):
            return 1


def outer(a):
    def inner(b):
        if b:
            return 1
        return 2

    return inner(a)
"""


def write(tmp_path: Path, text: str = CODE, name: str = "mod.py") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_source_reads_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a = 1\r\nb = 'é'\rc = 3\n")
    src = load_source(path)
    assert isinstance(src, SourceFile)
    assert src.lines == ("a = 1", "b = 'é'", "c = 3")
    assert src.line_count == 3


def test_load_source_replaces_bad_utf8_and_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes(b"x = '\xe9'\ny = '\xe2\x80\xa9'\nz = 1\x0c\nw = 2\n")
    src = load_source(path)
    assert isinstance(src, SourceFile)
    assert src.lines[0] == "x = '\ufffd'"
    assert src.lines[1] == "y = '\ufffd'"  # U+2029 would split the line in a text view
    assert src.lines[3] == "w = 2" and src.line_count == 4


def test_load_source_errors_are_one_line(tmp_path: Path) -> None:
    missing = load_source("/x/y.py")
    assert isinstance(missing, SourceError)
    assert missing.message == "Source not available: /x/y.py — no such file"
    binary = tmp_path / "b.so"
    binary.write_bytes(b"\x7fELF\x00\x01")
    err = load_source(binary)
    assert isinstance(err, SourceError) and "binary" in err.reason
    big = write(tmp_path, "x = 1\n" * 100, "big.py")
    err = load_source(big, max_bytes=100)
    assert isinstance(err, SourceError) and err.reason.startswith("too large")
    err = load_source(tmp_path)
    assert isinstance(err, SourceError) and err.reason == "it is a directory"
    err = load_source("<frozen importlib._bootstrap>")
    assert isinstance(err, SourceError) and "not a file" in err.reason
    err = load_source("")
    assert isinstance(err, SourceError) and "no file" in err.reason
    for e in (missing, err):
        assert "\n" not in e.message


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads every file")
def test_load_source_permission_denied(tmp_path: Path) -> None:
    path = write(tmp_path)
    path.chmod(0)
    try:
        err = load_source(path)
    finally:
        path.chmod(0o644)
    assert isinstance(err, SourceError) and err.reason == "permission denied"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_load_source_does_not_block_on_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    err = load_source(fifo)
    assert isinstance(err, SourceError) and err.reason == "not a regular file"


def test_complexity_from_radon(tmp_path: Path) -> None:
    table = complexity(write(tmp_path))
    # 1 + if + elif + if + for + if = 6
    assert table["branchy"] == (6, 4, 13)
    assert table["Shape.area"] == (2, 17, 20)
    assert table["Shape.Inner.deep"][0] == 1
    assert table["outer.inner"] == (2, 28, 31)
    assert complexity(CODE) == table  # text works as well as a path
    assert complexity("def broken(:\n") == {}
    assert complexity(tmp_path / "missing.py") == {}


def test_find_complexity_as_pyspy_names_functions(tmp_path: Path) -> None:
    fns = function_complexities(CODE)
    assert find_complexity(fns, "branchy") == FunctionComplexity("branchy", 6, 4, 13)
    assert find_complexity(fns, "Shape.area", 18) is not None
    # py-spy names a method after the class of self, which may be a subclass
    sub = find_complexity(fns, "Square.area", 19)
    assert sub is not None and sub.name == "Shape.area"
    # and a nested function by its own name (or by its qualname on 3.11+)
    assert find_complexity(fns, "inner", 29) == find_complexity(fns, "outer.inner")
    assert find_complexity(fns, "outer.<locals>.inner") is not None
    assert find_complexity(fns, "Inner.deep") is not None
    assert find_complexity(fns, "<module>", 1) is None
    path = write(tmp_path)
    found = complexity_for("branchy", str(path), 5)
    assert found is not None and found.complexity == 6
    assert complexity_for("branchy", str(tmp_path / "nope.py")) is None


def make_profile(path: str) -> Profile:
    p = Profile(rate_hz=100)
    mod = p.frames.intern("<module>", path, 34)
    b5 = p.frames.intern("branchy", path, 5)
    b11 = p.frames.intern("branchy", path, 11)
    inner = p.frames.intern("inner", path, 29)
    outer = p.frames.intern("outer", path, 33)
    other = p.frames.intern("helper", "/elsewhere.py", 3)
    t = p.add_thread(1, 1, "MainThread")
    w = p.add_window(Window(0.0, 1.0))
    p.add_samples(
        w,
        t,
        {
            p.stacks.intern([mod, b5]): 10,
            p.stacks.intern([mod, b11, other]): 30,
            p.stacks.intern([mod, outer, inner]): 4,
            p.stacks.intern([mod, outer, inner, outer, inner]): 6,  # recursion
        },
    )
    return p


def test_file_line_counts_and_functions(tmp_path: Path) -> None:
    path = str(write(tmp_path))
    p = make_profile(path)
    lines = file_line_counts(p, path)
    assert lines[5] == (10, 10)
    assert lines[11] == (0, 30)  # the callee is in another file
    assert lines[29] == (10, 10)  # self counted under recursion, total once
    assert lines[33] == (0, 10)
    assert lines[34] == (0, 50)
    assert 3 not in lines
    rows = file_functions(p, path, function_complexities(CODE))
    by_name = {r.name: r for r in rows}
    assert [r.name for r in rows][:2] == ["<module>", "branchy"]
    assert by_name["branchy"].complexity == 6 and by_name["branchy"].total_samples == 40
    assert by_name["branchy"].self_samples == 10
    assert by_name["inner"].complexity == 2
    assert by_name["<module>"].complexity is None
    assert by_name["Shape.area"].function_id is None  # never sampled, still listed
    assert by_name["branchy"].hot_and_complex(p.total_samples, min_cc=5)
    assert not by_name["branchy"].hot_and_complex(p.total_samples)  # 6 is not over 10

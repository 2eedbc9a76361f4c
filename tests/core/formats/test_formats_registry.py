"""The format tables, recognition by content, one-line errors, and a fuzz test."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import pytest

from app.core.formats import (
    IMPORTERS,
    RENDERERS,
    Importer,
    ImportFormatError,
    Renderer,
    import_bytes,
    import_file,
)
from app.core.model.profile import Profile, Window
from formats_helpers import DATA, build_hostile_profile


def test_renderer_table() -> None:
    assert set(RENDERERS) >= {"speedscope", "collapsed"}
    for name, r in RENDERERS.items():
        assert isinstance(r, Renderer) and r.name == name
        assert r.extension.startswith(".") and r.description
        assert r.lossy is None or (r.lossy and "\n" not in r.lossy)
        assert isinstance(r.render(Profile()), bytes)
        assert r.warnings(Profile()) == []


def test_importer_table() -> None:
    assert list(IMPORTERS) == ["speedscope", "pyspy-raw", "collapsed"]
    for name, imp in IMPORTERS.items():
        assert isinstance(imp, Importer) and imp.name == name and imp.description


def test_format_is_picked_by_content_not_name(
    tmp_path: Path,
) -> None:
    p = build_hostile_profile(windows=1)
    (tmp_path / "actually-json.txt").write_bytes(RENDERERS["speedscope"].render(p))
    (tmp_path / "actually-text.json").write_bytes(RENDERERS["collapsed"].render(p))
    assert import_file(tmp_path / "actually-json.txt").meta == p.meta
    assert import_file(tmp_path / "actually-text.json").meta["source_format"] == "pyspy-raw"


def test_utf8_bom_is_ignored() -> None:
    data = b"\xef\xbb\xbf" + RENDERERS["speedscope"].render(build_hostile_profile())
    assert import_bytes(data, "bom.json").total_samples == build_hostile_profile().total_samples


def _speedscope_bytes() -> bytes:
    p = Profile(rate_hz=100.0)
    p.add_window(Window(0, 1))
    t = p.add_thread(1, 2, "main")
    p.add_samples(0, t, {p.stacks.intern([p.frames.intern("f" * 40, "x.py", 1)]): 300})
    return RENDERERS["speedscope"].render(p)


ERROR_CASES = [
    ("empty", b"", r"file is empty$"),
    ("blank", b" \n\t\n", r"only whitespace$"),
    ("garbage text", b"hello world\nthis is not a profile\n", r"not a recognised profile format"),
    ("binary", bytes(range(256)) * 4, r"binary data, not a profile"),
    ("gzip", gzip.compress(b"a;b 1\n"), r"gzip-compressed"),
    ("json object", b'{"traceEvents": []}', r"not a speedscope file"),
    ("json array", b"[1, 2, 3]", r"not a speedscope file"),
    (
        "bad json",
        b'{"shared": {"frames": []}, "profiles": [}',
        r"not valid JSON \(.* line 1 column",
    ),
    (
        "truncated json",
        _speedscope_bytes()[:-900],
        r"not valid JSON \(unexpected end of data at line 2 column \d+\) — is the file complete\?$",
    ),
    ("no count", b"a (x.py:1) 3\nb (x.py:2);c (y.py:3)\nd (x.py:4) 1\n", r"line 2 does not end"),
    (
        "no count at all",
        b"main;work\n",
        r"line 1 does not end with a sample count \('main;work'\)$",
    ),
    ("fraction", b"a (x.py:1) 1.5\n", r"line 1: sample count '1.5' is not a whole number"),
    ("truncated text", b"a (x.py:1) 3\nb (x.py:", r"line 2 .* — is the file complete\?$"),
    ("no stack", b"a 1\n   7\n", r"line 2 (has a count but no stack|does not end)"),
    ("profile type", b'{"shared":{"frames":[]},"profiles":[{"type":"evented"}]}', r"evented"),
]


@pytest.mark.parametrize(
    ("data", "pattern"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_bad_input_gives_one_line_naming_the_file(
    tmp_path: Path, data: bytes, pattern: str
) -> None:
    path = tmp_path / "trace.json"
    path.write_bytes(data)
    with pytest.raises(ImportFormatError) as info:
        import_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    assert info.value.__cause__ is None
    assert isinstance(info.value, ValueError)
    assert re.search(pattern, message), message


def test_absurd_weights_give_an_import_error() -> None:
    """Weights whose ratio overflows are refused with one line, not a crash."""
    doc = {
        "shared": {"frames": [{"name": "f"}]},
        "profiles": [
            {"type": "sampled", "name": "x", "samples": [[0], [0]], "weights": [1e-300, 1e300]}
        ],
    }
    with pytest.raises(ImportFormatError, match=r"^w\.json: .*finite"):
        import_bytes(json.dumps(doc).encode(), "w.json")


def _mutations(rng: random.Random, src: bytes, count: int) -> list[bytes]:
    out = []
    alphabet = b'{}[],:"0123456789.-e \\nul;()\n\x00\xff'
    for _ in range(count):
        b = bytearray(src)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(b))
            op = rng.randrange(3)
            if op == 0:
                b[i] = rng.choice(alphabet)
            elif op == 1:
                del b[i : i + rng.randint(1, 20)]
            else:
                b[i:i] = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 5)))
        out.append(bytes(b))
    return out


def _structured(rng: random.Random, count: int) -> list[bytes]:
    """Speedscope-shaped JSON with wrong types in random places."""
    values: list[object] = [None, True, -1, 0, 2, 1e308, "x", [], {}, [[0]], [0, -1]]

    def pick() -> object:
        return rng.choice(values)

    out = []
    for _ in range(count):
        frame = {"name": rng.choice(["f", pick()]), "file": pick(), "line": pick()}
        prof = {
            "type": rng.choice(["sampled", pick()]),
            "name": rng.choice(['Thread 1 "a"', "Process x Thread 0x1F", pick()]),
            "samples": rng.choice([[[0], [0, 0]], [[0]], pick()]),
            "weights": rng.choice([[1, 1], [1], [0.5, 2], pick()]),
        }
        doc = {"shared": rng.choice([{"frames": [frame]}, pick()]), "profiles": [prof]}
        if rng.random() < 0.3:
            doc["sovprof"] = rng.choice(
                [pick(), {"format": "sovprof-speedscope", "version": 1, "windows": pick()}]
            )
        out.append(json.dumps(doc).encode())
    return out


def test_fuzz_only_import_errors_or_success() -> None:
    rng = random.Random(20240611)
    p = build_hostile_profile()
    sources = [
        RENDERERS["speedscope"].render(p),
        RENDERERS["speedscope"].render(build_hostile_profile(windows=1)),
        RENDERERS["collapsed"].render(p),
        (DATA / "pyspy-0.4.3-weird-names.speedscope.json").read_bytes(),
        (DATA / "pyspy-0.4.3-weird-names.raw.txt").read_bytes(),
    ]
    inputs: list[bytes] = []
    for src in sources:
        inputs += [src[: len(src) * k // 50] for k in range(50)]
        inputs += _mutations(rng, src, 60)
    inputs += [rng.randbytes(rng.randint(0, 3000)) for _ in range(200)]
    inputs += [
        bytes(rng.choice(b'abc ;()\n:0123456789{}[]"') for _ in range(rng.randint(1, 400)))
        for _ in range(200)
    ]
    inputs += _structured(rng, 300)
    outcomes = {"ok": 0, "error": 0}
    for data in inputs:
        try:
            import_bytes(data, "fuzz.bin")
        except ImportFormatError as exc:
            assert exc.__cause__ is None, f"internal error converted: {exc!r} for {data[:80]!r}"
            assert "\n" not in str(exc) and str(exc).startswith("fuzz.bin: ")
            outcomes["error"] += 1
        else:
            outcomes["ok"] += 1
    assert outcomes["ok"] > 50 and outcomes["error"] > 500, outcomes

"""Speedscope export: valid against speedscope's schema, and a lossless round trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from app.core.formats import (
    RENDERERS,
    ImportFormatError,
    RenderError,
    import_bytes,
    import_file,
    speedscope_importer,
)
from app.core.model.profile import Profile, Window
from formats_helpers import (
    DATA,
    build_hostile_profile,
    sample_multiset,
    speedscope_schema,
    window_multiset,
)

SCHEMA = speedscope_schema()


render = RENDERERS["speedscope"].render


def validate(data: bytes, schema: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(data)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    return doc


def test_export_validates_against_the_published_schema() -> None:
    doc = validate(render(build_hostile_profile()), SCHEMA)
    assert doc["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    assert all(p["type"] == "sampled" and p["unit"] == "seconds" for p in doc["profiles"])
    assert all("col" not in f for f in doc["shared"]["frames"])


def test_export_with_unknown_rate_or_no_samples_validates() -> None:
    p = build_hostile_profile()
    p.rate_hz = 0.0
    doc = validate(render(p), SCHEMA)
    assert {prof["unit"] for prof in doc["profiles"]} == {"none"}
    validate(render(Profile()), SCHEMA)


def test_pyspy_output_itself_does_not_validate() -> None:
    """Why we write our own file rather than pass py-spy's through."""
    doc = json.loads((DATA / "pyspy-0.4.3-weird-names.speedscope.json").read_bytes())
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(doc))


@pytest.mark.parametrize("windows", [1, 3])
def test_round_trip_keeps_every_sample_thread_and_window(windows: int) -> None:
    p = build_hostile_profile(windows=windows)
    q = import_bytes(render(p), "hostile.json")
    assert sample_multiset(q) == sample_multiset(p)
    assert window_multiset(q) == window_multiset(p)
    assert q.threads == p.threads  # order too, and the thread that has no samples
    assert q.windows == p.windows
    assert q.rate_hz == p.rate_hz
    assert q.meta == p.meta
    assert q.total_samples == p.total_samples


def test_profile_names_follow_pyspy() -> None:
    single = json.loads(render(build_hostile_profile(pids=(77,))))
    assert single["profiles"][0]["name"] == 'Thread 100 "semi;colon"'
    multi = json.loads(render(build_hostile_profile()))
    assert multi["profiles"][0]["name"] == 'Process 4242 Thread 100 "semi;colon"'


def test_round_trip_single_pid_without_the_member_still_gets_threads() -> None:
    """Other tools drop unknown members: samples, threads and names must survive."""
    p = build_hostile_profile(pids=(77,))
    doc = json.loads(render(p))
    del doc["sovprof"]
    q = import_bytes(json.dumps(doc).encode(), "stripped.json")
    want = {(t.tid, t.name, stack): n for (t, stack), n in sample_multiset(p).items()}
    got = {(t.tid, t.name, stack): n for (t, stack), n in sample_multiset(q).items()}
    assert got == want
    assert len(q.windows) == 1
    assert q.rate_hz == p.rate_hz


def test_round_trip_survives_reformatting() -> None:
    p = build_hostile_profile()
    pretty = json.dumps(json.loads(render(p)), indent=2, ensure_ascii=True).encode()
    q = import_bytes(pretty, "pretty.json")
    assert window_multiset(q) == window_multiset(p)
    assert q.threads == p.threads


@pytest.mark.parametrize("windows", [1, 2])
def test_round_trip_odd_ids(windows: int) -> None:
    """Ids that py-spy's profile names cannot carry still come back (via the member)."""
    p = Profile(rate_hz=100.0)
    a = p.add_thread(-1, -7, "negative")
    b = p.add_thread(2**63, 2**64 - 1, "huge")
    s = p.stacks.intern([p.frames.intern("f", "f.py", -3)])
    for w in range(windows):
        p.add_window(Window(float(w), w + 1.0))
        p.add_samples(w, a, {s: 2})
        p.add_samples(w, b, {s: 3})
    q = import_bytes(render(p), "odd.json")
    assert q.threads == p.threads
    assert window_multiset(q) == window_multiset(p)


def test_empty_profile_round_trip() -> None:
    q = import_bytes(render(Profile(meta={"k": [1, 2]})), "empty.json")
    assert q.total_samples == 0 and not q.windows and q.meta == {"k": [1, 2]}


def test_meta_that_json_cannot_hold_is_written_as_text() -> None:
    p = Profile(meta={"path": Path("/x"), 3: "int key"})  # type: ignore[dict-item]
    q = import_bytes(render(p), "meta.json")
    assert q.meta == {"path": "/x", "3": "int key"}


def test_unencodable_text_is_a_render_error() -> None:
    p = Profile()
    p.add_window(Window(0, 1))
    t = p.add_thread(1, 1, "lone surrogate \udc80")
    p.add_samples(0, t, {p.stacks.intern([p.frames.intern("f", "f.py", 1)]): 1})
    with pytest.raises(RenderError, match="cannot write"):
        render(p)


def _edited(p: Profile, edit: Callable[[dict[str, Any]], None]) -> bytes:
    doc = json.loads(render(p))
    edit(doc["sovprof"])
    return orjson.dumps(doc)


def test_newer_member_version_is_refused_clearly() -> None:
    data = _edited(build_hostile_profile(), lambda ext: ext.update(version=2))
    with pytest.raises(ImportFormatError, match=r"^new\.json: written by a newer sovprof"):
        import_bytes(data, "new.json")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda ext: ext.update(windows="x"), "malformed"),
        (lambda ext: ext["profiles"][0][1][0].__setitem__(1, 10**6), "does not match"),
        (lambda ext: ext.update(threads=ext["threads"] * 2), "malformed"),
        (lambda ext: ext.update(meta="{"), "malformed"),
    ],
)
def test_inconsistent_member_is_an_import_error(
    edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(ImportFormatError, match=message):
        import_bytes(_edited(build_hostile_profile(), edit), "edited.json")


def test_pyspy_file_gets_rate_duration_and_threads() -> None:
    path = DATA / "pyspy-0.4.3-weird-names.speedscope.json"
    p = import_bytes(path.read_bytes(), path.name, end_time=1000.0)
    names = {t.name for t in p.threads}
    assert names == {"MainThread", 'wörker;thread <script>alert("x")</script> ✓'}
    assert p.rate_hz == 200.0
    (w,) = p.windows
    assert w.end == 1000.0 and w.duration == pytest.approx(1.01)
    funcs = {f.function for f in p.frames.frames}
    assert "hot;path <b>\"quoted\"</b> 'single' é中文🔥" in funcs
    assert p.meta["exporter"] == "py-spy@0.4.3"
    # py-spy wrote 206 samples; add_speedscope drops its 2 empty-stack samples.
    assert p.total_samples == 206


def test_import_file_places_a_pyspy_window_at_the_file_mtime() -> None:
    path = DATA / "pyspy-0.4.3-weird-names.speedscope.json"
    p = import_file(path)
    assert p.windows[0].end == pytest.approx(path.stat().st_mtime)
    assert p.meta["source"] == str(path)


@pytest.mark.parametrize("n_frames", [1_000, 60_000])  # string hops, then the per-key scan
def test_member_scan_reads_header_values(n_frames: int) -> None:
    frames = [{"name": f'f "{i}" \\', "file": 'a"unit":"x".py'} for i in range(n_frames)]
    profile = {"type": "sampled", "name": "T", "unit": "milliseconds", "startValue": 5}
    profile.update(endValue=2005, samples=[[0]], weights=[10])
    doc = {"shared": {"frames": frames}, "profiles": [profile], "exporter": 'tool "x"'}
    data = json.dumps(doc).encode()
    members = speedscope_importer.scan_members(data)
    assert members == speedscope_importer._scan_by_key(data)
    assert speedscope_importer._Header.read(members) == speedscope_importer._Header(
        2.0, 100.0, 'tool "x"'
    )

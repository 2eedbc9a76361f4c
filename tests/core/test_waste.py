"""The waste rules and breakdown on profiles built by hand (the real recordings are in
test_waste_recordings.py), user rule files, and the overprocessing flags."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.model.profile import Profile, Window
from app.core.waste import (
    BUILTIN_RULES,
    COMPUTE,
    TRANSPORT,
    WAITING,
    WasteClassifier,
    WasteRule,
    WasteRulesError,
    bar_segments,
    load_rules,
    overprocessing_flags,
    rules_for,
    segment_at,
    waste_breakdown,
)

Stack = list[tuple[str, str, int]]
LIB = "/usr/lib/python3.11"


def _profile(samples: dict[str, list[tuple[Stack, int]]]) -> Profile:
    """One window; per thread name, (root-first stack, count) pairs."""
    p = Profile(rate_hz=100.0)
    w = p.add_window(Window(0.0, 1.0))
    for i, (thread, stacks) in enumerate(samples.items()):
        t = p.add_thread(1, 100 + i, thread)
        for stack, n in stacks:
            sid = p.stacks.intern(p.frames.intern(*f) for f in stack)
            p.add_samples(w, t, {sid: n})
    return p


def _lines(mapping: dict[tuple[str, int], str]) -> Callable[[str, int], str]:
    return lambda file, line: mapping.get((file, line), "")


def _classify(stack: Stack, lines: dict[tuple[str, int], str] | None = None) -> str:
    p = _profile({"main": [(stack, 1)]})
    clf = WasteClassifier(BUILTIN_RULES, read_line=_lines(lines or {}))
    return (
        waste_breakdown(p, clf).threads[0].counts
        and max(waste_breakdown(p, clf).counts.items(), key=lambda kv: kv[1])[0]
    )


ROOT = ("<module>", "app.py", 1)


@pytest.mark.parametrize(
    ("stack", "lines", "expected"),
    [
        # Python frames of the standard library
        ([ROOT, ("Thread.join", f"{LIB}/threading.py", 1119)], {}, WAITING),
        ([ROOT, ("Queue.get", f"{LIB}/queue.py", 171)], {}, WAITING),
        ([ROOT, ("DefaultSelector.select", f"{LIB}/selectors.py", 468)], {}, WAITING),
        ([ROOT, ("Popen.wait", f"{LIB}/subprocess.py", 1264)], {}, WAITING),
        ([ROOT, ("dumps", f"{LIB}/json/__init__.py", 231)], {}, TRANSPORT),
        ([ROOT, ("deepcopy", f"{LIB}/copy.py", 128)], {}, TRANSPORT),
        (
            [ROOT, ("copy", "/venv/site-packages/numpy/lib/_function_base_impl.py", 900)],
            {},
            TRANSPORT,
        ),
        (
            [ROOT, ("DataFrame.to_numpy", "/venv/site-packages/pandas/core/frame.py", 1900)],
            {},
            TRANSPORT,
        ),
        # the executing line of the innermost Python frame (C calls without --native)
        ([ROOT, ("nap", "app.py", 5)], {("app.py", 5): "time.sleep(0.5)"}, WAITING),
        ([ROOT, ("work", "app.py", 6)], {("app.py", 6): "with self._lock:"}, WAITING),
        ([ROOT, ("work", "app.py", 7)], {("app.py", 7): "LOCK.acquire()"}, WAITING),
        (
            [ROOT, ("work", "app.py", 8)],
            {("app.py", 8): "t = np.ascontiguousarray(a.T)"},
            TRANSPORT,
        ),
        ([ROOT, ("work", "app.py", 9)], {("app.py", 9): "rows = arr.tolist()"}, TRANSPORT),
        ([ROOT, ("work", "app.py", 10)], {("app.py", 10): "blob = pickle.dumps(obj)"}, TRANSPORT),
        ([ROOT, ("work", "app.py", 11)], {("app.py", 11): "b = bytes(view)"}, TRANSPORT),
        # look-alikes that are compute
        ([ROOT, ("work", "app.py", 12)], {("app.py", 12): "s = ', '.join(parts)"}, COMPUTE),
        ([ROOT, ("work", "app.py", 13)], {("app.py", 13): "with clock_ctx():"}, COMPUTE),
        ([ROOT, ("work", "app.py", 14)], {("app.py", 14): "buf = bytearray(4096)"}, COMPUTE),
        ([ROOT, ("Thread.run", f"{LIB}/threading.py", 982), ("loop", "app.py", 3)], {}, COMPUTE),
        # native frames (py-spy --native), deepest first
        ([ROOT, ("work", "app.py", 2), ("memcpy", "/lib/libc.so.6", 0)], {}, TRANSPORT),
        (
            [
                ROOT,
                ("work", "app.py", 2),
                ("lock_PyThread_acquire_lock", "/lib/libpython3.11.so", 0),
            ],
            {("app.py", 2): "total = compute(x)"},
            WAITING,
        ),
        ([ROOT, ("work", "app.py", 2), ("take_gil", "/lib/libpython3.11.so", 0)], {}, WAITING),
        (
            [ROOT, ("f", "app.py", 2), ("raw_array_assign_array", "/np/_multiarray_umath.so", 0)],
            {},
            TRANSPORT,
        ),
        # only the innermost Python frame's line counts: a caller's line does not
        (
            [ROOT, ("outer", "app.py", 20), ("inner", "app.py", 30)],
            {("app.py", 20): "time.sleep(1)"},
            COMPUTE,
        ),
    ],
)
def test_builtin_rules_classify_stacks(
    stack: Stack, lines: dict[tuple[str, int], str], expected: str
) -> None:
    assert _classify(stack, lines) == expected


def test_breakdown_shares_threads_and_causes() -> None:
    sleep = [ROOT, ("nap", "app.py", 5)]
    copy = [ROOT, ("move", "app.py", 8)]
    work = [ROOT, ("crunch", "app.py", 40)]
    p = _profile(
        {
            "main": [(work, 60), (copy, 20)],
            "sleeper": [(sleep, 20)],
        }
    )
    lines = {("app.py", 5): "time.sleep(0.1)", ("app.py", 8): "b = a.copy()"}
    b = waste_breakdown(p, WasteClassifier(read_line=_lines(lines)))
    assert b.total == 100
    assert (b.share(COMPUTE), b.share(WAITING), b.share(TRANSPORT)) == (0.6, 0.2, 0.2)
    by_label = {t.label.split(" ")[0]: t for t in b.threads}
    assert by_label["main"].counts == {COMPUTE: 60, WAITING: 0, TRANSPORT: 20}
    assert by_label["sleeper"].share(WAITING) == 1.0
    assert [(c.function, c.line, c.samples) for c in b.causes[WAITING]] == [("nap", 5, 20)]
    assert b.causes[TRANSPORT][0].why == "copy or conversion"
    assert b.causes[COMPUTE][0].function == "crunch"
    doc = b.as_dict()
    json.dumps(doc)
    assert doc["shares"] == {"compute": 0.6, "waiting": 0.2, "transport": 0.2}


def test_classifier_caches_per_profile_and_follows_growth() -> None:
    p = _profile({"main": [([ROOT, ("nap", "app.py", 5)], 3)]})
    calls: list[tuple[str, int]] = []

    def read_line(file: str, line: int) -> str:
        calls.append((file, line))
        return "time.sleep(1)" if line == 5 else "x += 1"

    clf = WasteClassifier(read_line=read_line)
    assert waste_breakdown(p, clf).share(WAITING) == 1.0
    assert waste_breakdown(p, clf).share(WAITING) == 1.0
    assert calls == [("app.py", 5)]  # one source read per frame, not per sample or call
    sid = p.stacks.intern([p.frames.intern(*ROOT), p.frames.intern("crunch", "app.py", 9)])
    p.add_samples(0, 0, {sid: 1})
    assert waste_breakdown(p, clf).counts == {COMPUTE: 1, WAITING: 3, TRANSPORT: 0}
    assert calls == [("app.py", 5), ("app.py", 9)]


def test_user_rules_toml_come_first(tmp_path: Path) -> None:
    rules = tmp_path / "waste-rules.toml"
    rules.write_text(
        '[[rule]]\nclass = "waiting"\nfunction = "wait_for_job"\nfile = "jobs\\\\.py$"\n'
        'why = "our job queue"\n\n'
        '[[rule]]\nclass = "compute"\ncode = "time\\\\.sleep"\nwhy = "pacing is the job here"\n',
        encoding="utf-8",
    )
    loaded = load_rules(rules)
    assert [r.waste_class for r in loaded] == [WAITING, COMPUTE]
    assert loaded[0].origin.endswith("rule 1")
    p = _profile(
        {
            "main": [
                ([ROOT, ("Worker.wait_for_job", "/srv/app/jobs.py", 3)], 5),
                ([ROOT, ("pace", "app.py", 5)], 5),
            ]
        }
    )
    clf = WasteClassifier(rules_for(rules), read_line=_lines({("app.py", 5): "time.sleep(1)"}))
    b = waste_breakdown(p, clf)
    assert b.counts == {COMPUTE: 5, WAITING: 5, TRANSPORT: 0}
    assert b.causes[WAITING][0].why == "our job queue"


def test_user_rules_json_and_home_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [{"class": "transport", "native": "my_copy"}]}))
    assert load_rules(path)[0].native == "my_copy"
    monkeypatch.setenv("SOVPROF_HOME", str(tmp_path))
    assert rules_for() == BUILTIN_RULES  # no waste-rules.toml there yet
    (tmp_path / "waste-rules.toml").write_text('[[rule]]\nclass = "waiting"\nfile = "x"\n')
    assert len(rules_for()) == len(BUILTIN_RULES) + 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rule]]\nclass = "slow"\nfile = "x"\n', "not one of compute, waiting, transport"),
        ('[[rule]]\nclass = "waiting"\n', "at least one of"),
        ('[[rule]]\nclass = "waiting"\nfile = "("\n', "not a valid regular expression"),
        ('[[rule]]\nclass = "waiting"\nfiles = "x"\n', "unknown key(s) files"),
        ("[[rule]\n", "not valid TOML"),
        ('rule = "x"\n', "expected a list of rules"),
    ],
)
def test_bad_rule_files_say_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "waste-rules.toml"
    path.write_text(text)
    with pytest.raises(WasteRulesError) as exc:
        load_rules(path)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(WasteRulesError, match="cannot read waste rules"):
        rules_for(tmp_path / "nope.toml")


def test_rule_needs_a_pattern_and_a_known_class() -> None:
    with pytest.raises(WasteRulesError):
        WasteRule("waiting", "nothing to match")
    assert all(r.waste_class in (WAITING, TRANSPORT) for r in BUILTIN_RULES)


# -- overprocessing ---------------------------------------------------------------------


def _two_functions(big: int, small: int) -> Profile:
    return _profile(
        {
            "main": [
                ([ROOT, ("hot", "app.py", 10)], big),
                ([ROOT, ("tiny", "app.py", 20)], small),
            ]
        }
    )


def test_overprocessing_flags_small_share_changes() -> None:
    before, after = _two_functions(97, 3), _two_functions(60, 2)
    flags = overprocessing_flags(before, after, ["tiny", ("hot", "app.py")])
    assert [f.function for f in flags] == ["tiny"]
    f = flags[0]
    assert f.share_before == pytest.approx(0.03)
    assert f.share_after == pytest.approx(2 / 62)
    assert f.max_saving == pytest.approx(2 / 62)
    assert "unlikely to matter" in f.message and "3.0%" in f.message
    assert set(f.as_dict()) == {
        "function",
        "file",
        "share_before",
        "share_after",
        "max_saving",
        "message",
    }


def test_overprocessing_threshold_and_unknown_functions() -> None:
    before, after = _two_functions(90, 10), _two_functions(90, 10)
    assert overprocessing_flags(before, after, ["tiny"]) == []  # 10% is not small
    assert [f.function for f in overprocessing_flags(before, after, ["tiny"], threshold=0.2)] == [
        "tiny"
    ]
    gone = overprocessing_flags(before, after, ["never_sampled"])
    assert gone[0].max_saving == 0.0 and gone[0].file == ""
    # a change that made a function hot is not overprocessing
    assert overprocessing_flags(_two_functions(99, 1), _two_functions(50, 50), ["tiny"]) == []


def test_bar_segments_and_hit_testing() -> None:
    counts = {COMPUTE: 50, WAITING: 0, TRANSPORT: 50}
    assert bar_segments(counts) == [(COMPUTE, 0.0, 0.5), (TRANSPORT, 0.5, 0.5)]
    assert bar_segments(dict.fromkeys((COMPUTE, WAITING, TRANSPORT), 0)) == []
    assert [segment_at(counts, f) for f in (0.0, 0.49, 0.5, 0.99, 1.0)] == [
        COMPUTE, COMPUTE, TRANSPORT, TRANSPORT, TRANSPORT,
    ]  # fmt: skip
    assert segment_at({}, 0.3) is None

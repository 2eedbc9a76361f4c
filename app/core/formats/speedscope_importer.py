"""Speedscope JSON import: py-spy's files, other tools' sampled profiles, our exports.

Parsing is :func:`app.core.sampling.speedscope.add_speedscope` (and its fast
byte-level path); this module adds the window: from the ``sovprof`` member
when the file is ours, else ``end_time - duration .. end_time`` where the
duration is the longest profile's ``endValue - startValue``.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from app.core.formats import sovprof_ext
from app.core.formats.base import Importer, ImportFormatError
from app.core.formats.speedscope_renderer import PREFIX
from app.core.model.profile import Profile, Window
from app.core.sampling.speedscope import SpeedscopeError, add_speedscope

_SECONDS_PER_UNIT = {
    "seconds": 1.0,
    "milliseconds": 1e-3,
    "microseconds": 1e-6,
    "nanoseconds": 1e-9,
}
_NUMBER = rb"\s*:\s*(-?[0-9][0-9.eE+-]*)"
# The members read without parsing the document, and the pattern of each value.
_MEMBERS: dict[bytes, re.Pattern[bytes]] = {
    b"unit": re.compile(rb'\s*:\s*"([a-z]{1,20})"'),
    b"startValue": re.compile(_NUMBER),
    b"endValue": re.compile(_NUMBER),
    b"weights": re.compile(rb"\s*:\s*\[\s*(-?[0-9][0-9.eE+-]*)"),
    b"exporter": re.compile(rb'\s*:\s*("(?:[^"\\]|\\.){0,200}")'),
    sovprof_ext.KEY.encode(): re.compile(rb"\s*:\s*()[{]"),
}


# Beyond this many strings (a document that is mostly text), find each key instead.
_MAX_HOPS = 100_000


def _closing_quote(data: bytes, start: int) -> int:
    """Index of the quote that ends the string whose content starts at ``start``."""
    end = data.find(b'"', start)
    while end > 0:
        backslashes = 0
        while end - 1 - backslashes >= start and data[end - 1 - backslashes] == 0x5C:
            backslashes += 1
        if backslashes % 2 == 0:
            return end
        end = data.find(b'"', end + 1)
    return end


def _scan_by_key(data: bytes) -> dict[bytes, list[bytes]]:
    """Like scan_members, one ``bytes.find`` pass per key."""
    out: dict[bytes, list[bytes]] = {}
    for key, pattern in _MEMBERS.items():
        needle = b'"' + key + b'"'
        pos = data.find(needle)
        while pos >= 0:
            m = pattern.match(data, pos + len(needle))
            if m is not None:
                out.setdefault(key, []).append(m.group(1))
            pos = data.find(needle, pos + len(needle))
    return out


def scan_members(data: bytes) -> dict[bytes, list[bytes]]:
    """Raw values of the members in ``_MEMBERS``, in document order, without a parse.

    Hops from string to string with ``bytes.find``: the sample arrays hold no
    strings, so crossing them costs a memchr.
    """
    out: dict[bytes, list[bytes]] = {}
    pos = data.find(b'"')
    hops = 0
    while pos >= 0:
        hops += 1
        if hops > _MAX_HOPS:
            return _scan_by_key(data)
        end = _closing_quote(data, pos + 1)
        if end < 0:
            break
        key = data[pos + 1 : end]
        pattern = _MEMBERS.get(key)
        if pattern is not None:
            m = pattern.match(data, end + 1)
            if m is not None:
                out.setdefault(key, []).append(m.group(1))
        pos = data.find(b'"', end + 1)
    return out


def _floats(raw: list[bytes]) -> list[float]:
    out: list[float] = []
    for r in raw:
        with contextlib.suppress(ValueError):
            out.append(float(r))
    return out


@dataclass(frozen=True)
class _Header:
    """What the window needs from a file we did not write: duration, rate, exporter."""

    duration_s: float
    rate_hz: float
    exporter: str | None

    @classmethod
    def read(cls, members: dict[bytes, list[bytes]]) -> _Header:
        units = members.get(b"unit", [])
        scale = _SECONDS_PER_UNIT.get(units[0].decode()) if units else None
        starts = _floats(members.get(b"startValue", []))
        ends = _floats(members.get(b"endValue", []))
        if len(starts) == len(ends):
            spans = [e - s for s, e in zip(starts, ends, strict=True)]
        else:
            spans = [max(ends, default=0.0) - min(starts, default=0.0)]
        span = max(spans, default=0.0)
        duration = span * scale if scale and math.isfinite(span) and span > 0 else 0.0
        weights = _floats(members.get(b"weights", [])[:1])
        rate = 0.0
        if scale and weights and weights[0] > 0:
            per_sample = weights[0] * scale
            rate = round(1.0 / per_sample, 6) if math.isfinite(1.0 / per_sample) else 0.0
        exporter = None
        for raw in members.get(b"exporter", [])[:1]:
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                value = None
            exporter = value if isinstance(value, str) else None
        return cls(duration if math.isfinite(duration) else 0.0, rate, exporter)


def _json_problem(data: bytes) -> str | None:
    """One line on why ``data`` is not JSON, with the true position; None when it is."""
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        hint = " — is the file complete?" if "unexpected end" in exc.msg else ""
        return f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}){hint}"
    return None


def _parse(data: bytes, name_hint: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ImportFormatError(name_hint, _json_problem(data) or "not valid JSON") from None


def _add(
    profile: Profile,
    data: bytes | Mapping[str, Any],
    name_hint: str,
    window: Window,
    default_pid: int,
) -> None:
    try:
        add_speedscope(
            profile,
            data,
            window.start,
            window.end,
            default_pid=default_pid,
            expected=window.expected,
            errors=window.errors,
        )
    except SpeedscopeError as exc:
        reason = str(exc)
        if reason.startswith("not valid JSON") and isinstance(data, bytes):
            reason = _json_problem(data) or reason
        raise ImportFormatError(name_hint, reason) from None


def find_extension(
    data: bytes, members: dict[bytes, list[bytes]], name_hint: str
) -> tuple[sovprof_ext.Extension | None, Any]:
    """Our ``sovprof`` member, if any, and the parsed document when it had to be parsed.

    Our own files are recognised by their first bytes and the member is read
    alone; any other file with such a member is parsed whole.
    """
    if sovprof_ext.KEY.encode() not in members:
        return None, None
    if data.startswith(PREFIX):
        end = data.find(b"\n", len(PREFIX))
        try:
            member = orjson.loads(data[len(PREFIX) : end]) if end > 0 else None
        except orjson.JSONDecodeError:
            member = None
        if member is not None:
            return sovprof_ext.decode(member, name_hint), None
    doc = _parse(data, name_hint)
    if isinstance(doc, dict) and sovprof_ext.KEY in doc:
        return sovprof_ext.decode(doc[sovprof_ext.KEY], name_hint), doc
    return None, doc


def _fresh(ext: sovprof_ext.Extension, base: Profile | None = None) -> Profile:
    """A profile with the extension's rate, meta and threads (in order), sharing base's tables."""
    out = Profile(rate_hz=ext.rate_hz, meta=dict(ext.meta))
    if base is not None:
        out.frames, out.stacks, out.windows = base.frames, base.stacks, base.windows
    for t in ext.threads:
        out.add_thread(t.pid, t.tid, t.name)
    return out


def _matches(profile: Profile, ext: sovprof_ext.Extension) -> bool:
    expected = [0] * len(ext.threads)
    for layout in ext.profiles:
        expected[layout.thread] += layout.total
    return (
        profile.threads == list(ext.threads)
        and len(profile.windows) == len(ext.windows)
        and profile.thread_totals() == expected
    )


def _mismatch(name_hint: str, what: str) -> ImportFormatError:
    return ImportFormatError(
        name_hint, f"the sovprof member does not match the speedscope profiles ({what})"
    )


def _load_split(doc: Any, ext: sovprof_ext.Extension, name_hint: str) -> Profile:
    """Our file parsed whole: each profile's samples are cut into their windows."""
    if not isinstance(doc, dict) or not isinstance(doc.get("shared"), dict):
        raise ImportFormatError(name_hint, "not a speedscope file (no 'shared' and 'profiles')")
    profs = doc.get("profiles")
    if not isinstance(profs, list) or len(profs) != len(ext.profiles):
        raise _mismatch(name_hint, "number of profiles")
    per_window: list[list[dict[str, Any]]] = [[] for _ in ext.windows]
    for i, (prof, layout) in enumerate(zip(profs, ext.profiles, strict=True)):
        samples = prof.get("samples") if isinstance(prof, dict) else None
        weights = prof.get("weights") if isinstance(prof, dict) else None
        if not isinstance(samples, list) or not isinstance(weights, list):
            raise ImportFormatError(name_hint, f"profile {i} has no samples/weights lists")
        if len(samples) != layout.total or len(weights) != len(samples):
            raise _mismatch(name_hint, f"profile {i} has {len(samples)} samples")
        pos = 0
        for w, n in layout.runs:
            # The name carries the thread's index, so that any pid/tid survives.
            part = {"type": prof.get("type"), "name": f"Thread {layout.thread}"}
            part.update(samples=samples[pos : pos + n], weights=weights[pos : pos + n])
            per_window[w].append(part)
            pos += n
    scratch = Profile()
    for window, parts in zip(ext.windows, per_window, strict=True):
        _add(scratch, {"shared": doc["shared"], "profiles": parts}, name_hint, window, 0)
    out = _fresh(ext, scratch)
    for (w, t), cell in scratch.counts.items():
        out.add_samples(w, scratch.threads[t].tid, cell)
    return out


def _load_own(data: bytes, doc: Any, ext: sovprof_ext.Extension, name_hint: str) -> Profile:
    if not ext.windows:
        if ext.profiles:
            raise _mismatch(name_hint, "samples but no windows")
        return _fresh(ext)
    if doc is None and len(ext.windows) == 1:
        # One window: the fast path reads the file as it reads py-spy's.
        profile = _fresh(ext)
        pids = {t.pid for t in ext.threads}
        default_pid = pids.pop() if len(pids) == 1 else 0
        _add(profile, data, name_hint, ext.windows[0], default_pid)
        if _matches(profile, ext):
            return profile
    return _load_split(_parse(data, name_hint) if doc is None else doc, ext, name_hint)


def _load_foreign(
    data: bytes, doc: Any, header: _Header, name_hint: str, end_time: float | None
) -> Profile:
    end = header.duration_s if end_time is None else end_time
    profile = Profile(rate_hz=header.rate_hz)
    _add(profile, data if doc is None else doc, name_hint, Window(end - header.duration_s, end), 0)
    profile.meta = {"source_format": "speedscope", "source": name_hint}
    if header.exporter:
        profile.meta["exporter"] = header.exporter
    return profile


class SpeedscopeImporter(Importer):
    """py-spy's ``--format speedscope``, sovprof's export, other tools' sampled profiles."""

    name = "speedscope"
    description = "speedscope JSON (py-spy --format speedscope, sovprof export)"

    def sniff(self, head: bytes) -> bool:
        # Any JSON document: the loader then says clearly when it is not speedscope.
        return head.lstrip()[:1] in (b"{", b"[")

    def load(self, data: bytes, name_hint: str, *, end_time: float | None = None) -> Profile:
        members = scan_members(data)
        ext, doc = find_extension(data, members, name_hint)
        if ext is not None:
            return _load_own(data, doc, ext, name_hint)
        return _load_foreign(data, doc, _Header.read(members), name_hint, end_time)

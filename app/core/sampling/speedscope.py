"""Parse speedscope JSON (py-spy's and our own) into Profile windows.

py-spy writes one ``sampled`` profile per thread, named
``Thread TID "NAME"`` or, with --subprocesses, ``Process PID Thread TID "NAME"``;
stacks are lists of indices into ``shared.frames``, root first.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

import orjson

from app.core.model.frames import EMPTY_STACK
from app.core.model.profile import Profile, ThreadInfo, Window

_THREAD_RE = re.compile(r'^(?:Process (\d+) )?Thread (\d+|0x[0-9a-fA-F]+)(?: "(.*)")?$', re.S)


class SpeedscopeError(ValueError):
    """A file that is not usable speedscope JSON; the message says why."""


def parse_thread_name(name: str, default_pid: int, index: int) -> ThreadInfo:
    """Split py-spy's profile name into pid, tid and thread name.

    Names that do not follow py-spy's pattern (other tools' exports) keep the
    whole name and get a synthetic tid from their position.
    """
    m = _THREAD_RE.match(name)
    if m is None:
        return ThreadInfo(default_pid, index, name)
    pid = int(m.group(1)) if m.group(1) else default_pid
    tid_text = m.group(2)
    tid = int(tid_text, 16) if tid_text.startswith("0x") else int(tid_text)
    return ThreadInfo(pid, tid, m.group(3) or "")


_ARRAY_KEY_RE = re.compile(rb'"(samples|weights)"\s*:\s*\[')
_WS = b" \t\r\n"


def _split_big_arrays(data: bytes) -> tuple[bytes, list[list[bytes]], list[list[bytes]]] | None:
    """Cut every ``samples`` and ``weights`` array out of the raw JSON.

    Building a Python list per sample dominates ingest time, so the arrays are
    split as bytes and only distinct stacks are parsed.  Returns the document
    with those arrays emptied, plus each array's items in document order, or
    None when the layout is not the simple one this path handles.
    """
    pieces: list[bytes] = []
    samples: list[list[bytes]] = []
    weights: list[list[bytes]] = []
    pos = 0
    for m in _ARRAY_KEY_RE.finditer(data):
        if m.start() < pos:
            return None
        body_start = m.end()
        if m.group(1) == b"samples":
            end = data.find(b"]]", body_start)
            if data[body_start : body_start + 1] == b"]":
                end, items = body_start - 1, []
            elif end < 0:
                return None
            else:
                body = data[body_start : end + 1].translate(None, _WS)
                if body.translate(None, b"0123456789,[]") or not body.startswith(b"["):
                    return None
                items = body[1:-1].split(b"],[")
            samples.append(items)
            close = end + 1
        else:
            end = data.find(b"]", body_start)
            if end < 0:
                return None
            body = data[body_start:end].translate(None, _WS)
            weights.append(body.split(b",") if body else [])
            close = end
        pieces.append(data[pos:body_start])
        pos = close
    pieces.append(data[pos:])
    return b"".join(pieces), samples, weights


def load_json(data: bytes | str) -> dict[str, Any]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SpeedscopeError(f"not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise SpeedscopeError("not a speedscope file (top level is not an object)")
    return doc


def is_speedscope(doc: Mapping[str, Any]) -> bool:
    return isinstance(doc.get("shared"), dict) and isinstance(doc.get("profiles"), list)


def _frame_map(doc: Mapping[str, Any], profile: Profile) -> list[int]:
    frames = doc["shared"].get("frames")
    if not isinstance(frames, list):
        raise SpeedscopeError("shared.frames is missing or not a list")
    out: list[int] = []
    intern = profile.frames.intern
    for i, fr in enumerate(frames):
        if not isinstance(fr, dict) or not isinstance(fr.get("name"), str):
            raise SpeedscopeError(f"frame {i} has no name")
        file = fr.get("file") or ""
        line = fr.get("line") or 0
        if not isinstance(file, str) or not isinstance(line, int):
            raise SpeedscopeError(f"frame {i} has a bad file or line")
        out.append(intern(fr["name"], file, line))
    return out


def _weighted_counts(stacks: list[Any], weights: list[Any], idx: int) -> Counter[Any]:
    """Count identical stacks; unequal weights count in units of the smallest."""
    if len(stacks) != len(weights):
        raise SpeedscopeError(f"profile {idx}: {len(stacks)} samples but {len(weights)} weights")
    wset = set(weights)
    if len(wset) <= 1:
        return Counter(stacks)
    try:
        values = [float(w) for w in weights]
    except (TypeError, ValueError, OverflowError):
        raise SpeedscopeError(f"profile {idx}: a weight is not a number") from None
    unit = min((v for v in values if v > 0), default=1.0)
    counts: Counter[Any] = Counter()
    for st, v in zip(stacks, values, strict=True):
        ratio = v / unit
        if not math.isfinite(ratio):
            raise SpeedscopeError(f"profile {idx}: a weight is not a finite number")
        counts[st] += max(1, round(ratio))
    return counts


def _check_stack(st: Any, n_frames: int, idx: int) -> tuple[int, ...]:
    if not isinstance(st, list | tuple) or not all(
        isinstance(f, int) and 0 <= f < n_frames for f in st
    ):
        raise SpeedscopeError(f"profile {idx}: a sample is not a list of valid frame indices")
    return tuple(st)


def _parsed_counts(prof: Mapping[str, Any], n_frames: int, idx: int) -> Counter[tuple[int, ...]]:
    samples = prof.get("samples")
    weights = prof.get("weights")
    if not isinstance(samples, list) or not isinstance(weights, list):
        raise SpeedscopeError(f"profile {idx} has no samples/weights lists")
    try:
        stacks = list(map(tuple, samples))
    except TypeError:
        raise SpeedscopeError(f"profile {idx}: a sample is not a list of frame indices") from None
    counts = _weighted_counts(stacks, weights, idx)
    return Counter({_check_stack(st, n_frames, idx): n for st, n in counts.items()})


def _raw_counts(
    samples: list[bytes], weights: list[bytes], n_frames: int, idx: int
) -> Counter[tuple[int, ...]]:
    """Counts from byte-split arrays: only distinct stacks are parsed."""
    counts = _weighted_counts(samples, weights, idx)
    out: Counter[tuple[int, ...]] = Counter()
    for raw, n in counts.items():
        try:
            st = orjson.loads(b"[" + raw + b"]")
        except orjson.JSONDecodeError:
            raise SpeedscopeError(
                f"profile {idx}: a sample is not a list of frame indices"
            ) from None
        out[_check_stack(st, n_frames, idx)] += n
    return out


def _profiles(
    data: bytes | str | Mapping[str, Any],
) -> tuple[Mapping[str, Any], list[Counter[tuple[int, ...]]] | None]:
    """The document, and per profile its stack counts when the fast path applied."""
    if isinstance(data, Mapping):
        return data, None
    raw = data.encode() if isinstance(data, str) else data
    split = _split_big_arrays(raw)
    if split is not None:
        stripped, samples, weights = split
        doc = load_json(stripped)
        profs = doc.get("profiles")
        if (
            is_speedscope(doc)
            and isinstance(profs, list)
            and len(profs) == len(samples) == len(weights)
        ):
            n_frames = len(doc["shared"].get("frames") or [])
            counts = [
                _raw_counts(s, w, n_frames, i)
                for i, (s, w) in enumerate(zip(samples, weights, strict=True))
            ]
            return doc, counts
    return load_json(raw), None


def add_speedscope(
    profile: Profile,
    data: bytes | str | Mapping[str, Any],
    start: float,
    end: float,
    *,
    default_pid: int = 0,
    expected: int = 0,
    errors: int = 0,
) -> int:
    """Parse one speedscope document into a new window of ``profile``.

    Returns the window index.  Raises SpeedscopeError on malformed input, in
    which case ``profile`` is left unchanged apart from interned frames.
    """
    doc, fast_counts = _profiles(data)
    if not is_speedscope(doc):
        raise SpeedscopeError("not a speedscope file (no 'shared' and 'profiles')")
    frame_map = _frame_map(doc, profile)
    parsed: list[tuple[ThreadInfo, Counter[tuple[int, ...]]]] = []
    for i, prof in enumerate(doc["profiles"]):
        if not isinstance(prof, dict):
            raise SpeedscopeError(f"profile {i} is not an object")
        if prof.get("type") != "sampled":
            raise SpeedscopeError(
                f"profile {i} is of type {prof.get('type')!r}; "
                "only 'sampled' profiles are supported"
            )
        key = parse_thread_name(str(prof.get("name", "")), default_pid, i)
        counts = (
            fast_counts[i] if fast_counts is not None else _parsed_counts(prof, len(frame_map), i)
        )
        parsed.append((key, counts))
    window = profile.add_window(Window(start, end, expected, errors))
    intern = profile.stacks.intern
    for key, counts in parsed:
        thread = profile.add_thread(key.pid, key.tid, key.name)
        cell: dict[int, int] = {}
        for st, n in counts.items():
            if st:
                sid = intern(frame_map[f] for f in st)
            else:  # keep the sample: it was taken, the thread just ran no Python code
                sid = intern([profile.frames.intern(*EMPTY_STACK)])
            cell[sid] = cell.get(sid, 0) + n
        profile.add_samples(window, thread, cell)
    return window

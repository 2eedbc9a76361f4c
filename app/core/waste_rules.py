"""The rules of the waste breakdown: ONE table, extendable by the user.

Built-in rules are :data:`BUILTIN_RULES`.  Users add their own in a TOML or JSON file
(``--waste-rules FILE`` or ``$SOVPROF_HOME/waste-rules.toml``); those are tried before
the built-in ones, so they can also override them::

    # waste-rules.toml
    [[rule]]
    class = "waiting"                 # compute | waiting | transport
    function = "wait_for_job"         # whole name, or its last dotted part (Class.method)
    file = "myapp/jobs\\.py$"         # searched in the frame's path ('/' separators)
    why = "our job queue's blocking get"

    [[rule]]
    class = "transport"
    code = "\\.to_arrow\\("           # searched in the line the innermost Python frame runs
    why = "DataFrame → Arrow conversion"

    [[rule]]
    class = "waiting"
    native = "my_driver_poll"         # a native frame's symbol (recorded with --native)
    why = "driver poll loop"

(JSON: ``{"rules": [{...}, ...]}`` with the same keys.)  All given patterns of a rule
must match.  ``function`` and ``code`` apply to Python frames, ``native`` to native
frames (py-spy ``--native``), ``file`` to both.  ``code`` reads the source line being
executed by the innermost Python frame, which is how C calls that py-spy cannot see
without ``--native`` (``time.sleep``, ``lock.acquire``, ``a.copy()``) are recognised.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from app.core.model.frames import Frame

COMPUTE = "compute"
WAITING = "waiting"
TRANSPORT = "transport"
CLASSES: tuple[str, ...] = (COMPUTE, WAITING, TRANSPORT)

RULES_FILENAME = "waste-rules.toml"
RULES_ENV_HOME = "SOVPROF_HOME"


class WasteRulesError(ValueError):
    """A rules file that cannot be used; the message says which rule and why."""


@dataclass(frozen=True)
class WasteRule:
    """One row of the rules table; see the module docstring for the fields."""

    waste_class: str
    why: str
    function: str | None = None
    file: str | None = None
    native: str | None = None
    code: str | None = None
    origin: str = "built-in"

    def __post_init__(self) -> None:
        if self.waste_class not in CLASSES:
            raise WasteRulesError(
                f"rule {self.why!r}: class {self.waste_class!r} is not one of {', '.join(CLASSES)}"
            )
        if not any((self.function, self.file, self.native, self.code)):
            raise WasteRulesError(
                f"rule {self.why!r}: give at least one of function, file, native, code"
            )
        for name in ("function", "file", "native", "code"):
            pattern = getattr(self, name)
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise WasteRulesError(
                        f"rule {self.why!r}: {name} pattern {pattern!r} is not a valid "
                        f"regular expression ({exc})"
                    ) from None

    @cached_property
    def _compiled(self) -> tuple[re.Pattern[str] | None, ...]:
        return tuple(
            None if p is None else re.compile(p)
            for p in (self.function, self.file, self.native, self.code)
        )

    def matches_frame(self, frame: Frame, native: bool) -> bool:
        """Does the rule match this frame by its name and file (not its code line)?"""
        fn, file, nat, code = self._compiled
        if code is not None:
            return False
        if native:
            if fn is not None or (nat is None and file is None):
                return False
            if nat is not None and nat.fullmatch(frame.function) is None:
                return False
        else:
            if nat is not None:
                return False
            if fn is not None and not _name_matches(fn, frame.function):
                return False
        return file is None or file.search(frame.file.replace("\\", "/")) is not None

    def matches_code(self, frame: Frame, line_text: str) -> bool:
        """Does the rule match the innermost Python frame, given its executing line?"""
        fn, file, nat, code = self._compiled
        if code is None or nat is not None or code.search(line_text) is None:
            return False
        if fn is not None and not _name_matches(fn, frame.function):
            return False
        return file is None or file.search(frame.file.replace("\\", "/")) is not None


def _name_matches(pattern: re.Pattern[str], name: str) -> bool:
    if pattern.fullmatch(name) is not None:
        return True
    last = name.rsplit(".", 1)[-1]
    return last != name and pattern.fullmatch(last) is not None


def _r(cls: str, why: str, **patterns: str) -> WasteRule:
    return WasteRule(cls, why, **patterns)


_LOCK_SYMBOLS = (
    r"PyThread_acquire_lock\w*|lock_PyThread_acquire_lock|rlock_acquire|acquire_timed"
    r"|pthread_cond_(timed|clock)?wait\w*|pthread_mutex_(timed)?lock|pthread_join"
    r"|sem_(timed|clock)?wait\w*|__new_sem_wait\w*|do_futex_wait\w*|futex_\w*wait\w*"
    r"|__lll_lock_wait\w*"
)
_NUMPY_COPY_FNS = (
    r"copy|ascontiguousarray|asfortranarray|require|array|asarray|asanyarray|tolist|astype"
    r"|concatenate|stack|vstack|hstack|column_stack|frombuffer|fromiter|tobytes|flatten"
)

BUILTIN_RULES: tuple[WasteRule, ...] = (
    # -- waiting: native frames (py-spy --native) ---------------------------------------
    _r(WAITING, "sleeping", native=r"time_sleep|pysleep|(__)?(clock_)?nanosleep\w*|usleep"),
    _r(WAITING, "waiting for the GIL", native=r"take_gil|PyEval_RestoreThread|PyCOND_T?WAIT"),
    _r(WAITING, "blocked on a lock or condition", native=_LOCK_SYMBOLS),
    _r(
        WAITING,
        "waiting in select/poll/epoll",
        native=r"(__)?(select|pselect6?|poll|ppoll|epoll_wait|epoll_pwait\w*|kevent)"
        r"|select_select\w*|select_poll_poll\w*|select_epoll_poll\w*",
    ),
    _r(
        WAITING,
        "blocking socket, pipe or file I/O",
        native=r"(__(libc|GI)_)?(recv|recvfrom|recvmsg|accept4?|read|pread64|readv|connect"
        r"|wait4|waitpid|waitid)|sock_recv\w*|sock_accept|_io__FileIO_read\w*"
        r"|os_waitpid\w*|os_read\w*",
    ),
    # -- waiting: Python frames -----------------------------------------------------------
    _r(
        WAITING,
        "waiting on a threading primitive (lock, condition, event, join)",
        function=r"wait|wait_for|acquire|join|_wait_for_tstate_lock|__enter__",
        file=r"(^|/)threading\.py$",
    ),
    _r(
        WAITING,
        "blocked on a queue",
        function=r"get|put|join",
        file=r"(^|/)(queue|asyncio/queues|multiprocessing/queues)\.py$",
    ),
    _r(WAITING, "waiting in select/poll/epoll", function=r"select", file=r"(^|/)selectors\.py$"),
    _r(
        WAITING,
        "waiting for a subprocess",
        function=r"wait|_wait|_try_wait|communicate|_communicate|run|call|check_call"
        r"|check_output",
        file=r"(^|/)subprocess\.py$",
    ),
    _r(
        WAITING,
        "blocking socket I/O",
        function=r"accept|readinto|recv\w*|create_connection|read|readline|makefile",
        file=r"(^|/)(socket|ssl|socketserver)\.py$",
    ),
    _r(
        WAITING,
        "waiting for another process",
        function=r"recv\w*|_recv\w*|poll|_poll|wait|get|join|acquire|__enter__|result"
        r"|_wait_for_updates|_handle_results",
        file=r"(^|/)multiprocessing/(connection|pool|synchronize|popen_\w+|managers)\.py$",
    ),
    _r(
        WAITING,
        "waiting for a future",
        function=r"result|wait|as_completed|__exit__|shutdown",
        file=r"(^|/)concurrent/futures/(_base|thread|process)\.py$",
    ),
    # -- waiting: the line the innermost Python frame runs (C calls without --native) ----
    _r(WAITING, "sleeping", code=r"\b(time\.)?sleep\("),
    _r(
        WAITING,
        "waiting on a lock, event, condition or thread",
        # join() or join(timeout): not str.join, which always takes an iterable
        code=r"\.(acquire|wait|wait_for)\(|\.join\(\s*((timeout\s*=\s*)?[\d.]+)?\s*\)",
    ),
    _r(
        WAITING,
        "entering a lock (`with lock:`)",
        code=r"^\s*(async\s+)?with\s+([\w\[\]]+\.)*_?\w*((?<!c)lock|(?<!c)Lock|(?<!C)LOCK|mutex"
        r"|Mutex|MUTEX|sem|Semaphore|cond|Condition)\s*(\(\s*\))?\s*(:|,|as\b)",
    ),
    _r(
        WAITING,
        "blocking socket, pipe or file I/O",
        code=r"\.(recv|recv_into|recvfrom|recvmsg|accept|read|readinto|readline|readlines"
        r"|communicate)\(|\bos\.(read|wait|waitpid)\(",
    ),
    _r(WAITING, "waiting in select/poll/epoll", code=r"\bselect\.select\(|\.(poll|select)\("),
    # -- transport: native frames ----------------------------------------------------------
    _r(TRANSPORT, "memory copy", native=r"(__)?mem(cpy|move)\w*|__memcpy\w*|__memmove\w*"),
    _r(
        TRANSPORT,
        "numpy copy or conversion",
        native=r"PyArray_(NewCopy|ToList|CastToType|AssignArray|CopyInto|CopyAnyInto|FromAny"
        r"|FromArray|CheckFromAny|Newshape|Ravel|Flatten)|array_(tolist|copy|astype|tobytes)"
        r"|raw_array_assign_\w+|_?(aligned_)?(strided|contig)_to_(strided|contig)\w*"
        r"|_aligned_contig_cast_\w+|_contig_cast_\w+|_strided_cast_\w+|_cast_\w+_to_\w+",
    ),
    _r(
        TRANSPORT,
        "serialization (pickle, json, marshal)",
        native=r"_?pickle_\w+|_?Pickler_\w+|_?Unpickler_\w+|save_reduce|encoder_\w+"
        r"|scanstring_\w+|py_encode_basestring\w*|marshal_(dumps|loads|dump|load)\w*"
        r"|w_object|r_object",
    ),
    # -- transport: Python frames ----------------------------------------------------------
    _r(
        TRANSPORT,
        "serialization (pickle, json, marshal, copyreg)",
        file=r"(^|/)(pickle|_compat_pickle|copyreg|marshal|json/\w+|pickletools|shelve)\.py$"
        r"|(^|/)(cloudpickle|msgpack|dill)/",
    ),
    _r(TRANSPORT, "deep or shallow copies", file=r"(^|/)copy\.py$"),
    _r(
        TRANSPORT,
        "numpy copy or conversion",
        function=_NUMPY_COPY_FNS,
        file=r"(^|/)numpy/",
    ),
    _r(
        TRANSPORT,
        "pandas / arrow conversion",
        function=r"to_numpy|to_dict|to_list|tolist|to_records|copy|astype|__array__|to_pandas"
        r"|from_pandas|to_pylist|from_records|from_dict|to_arrow|_values",
        file=r"(^|/)(pandas|pyarrow|polars)/",
    ),
    # -- transport: the executing line (C calls without --native) --------------------------
    _r(
        TRANSPORT,
        "numpy copy or conversion",
        code=r"\b(np|numpy)\.(" + _NUMPY_COPY_FNS + r")\(",
    ),
    _r(
        TRANSPORT,
        "copy or conversion",
        code=r"\.(copy|tolist|astype|tobytes|to_numpy|to_list|to_dict|to_pylist|flatten)\(",
    ),
    _r(
        TRANSPORT,
        "serialization (pickle, json, marshal, struct)",
        code=r"\b(pickle|cPickle|cloudpickle|dill|json|orjson|ujson|marshal|msgpack)"
        r"\.(dumps?|loads?)\(|\bstruct\.(pack|unpack)\w*\(",
    ),
    # bytes(buf) copies; bytes(4096) and bytearray() only allocate
    _r(TRANSPORT, "bytes/bytearray copy", code=r"(?<![\w.])(bytes|bytearray)\((?!\s*(\d|\)))"),
    _r(TRANSPORT, "text encoding or decoding", code=r"\.(encode|decode)\("),
)
"""The one rules table.  Rules are tried in order on each frame, deepest frame first."""


# -- rules from files ---------------------------------------------------------------------


def default_rules_path() -> Path | None:
    """``$SOVPROF_HOME/waste-rules.toml`` when SOVPROF_HOME is set and the file exists."""
    home = os.environ.get(RULES_ENV_HOME)
    if not home:
        return None
    path = Path(home).expanduser() / RULES_FILENAME
    return path if path.is_file() else None


def load_rules(path: str | os.PathLike[str]) -> list[WasteRule]:
    """The rules in a TOML or JSON file (see the module docstring for the format)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise WasteRulesError(f"cannot read waste rules {p}: {exc.strerror or exc}") from None
    doc = _parse_rules_doc(p, raw)
    items = doc.get("rule", doc.get("rules")) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise WasteRulesError(f"{p}: expected a list of rules ([[rule]] tables in TOML)")
    rules = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise WasteRulesError(f"{p}: rule {i} is not a table")
        rules.append(_rule_from_dict(item, f"{p} rule {i}"))
    return rules


def _parse_rules_doc(p: Path, raw: bytes) -> Any:
    if p.suffix.lower() == ".json":
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise WasteRulesError(f"{p} is not valid JSON ({exc})") from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10: tomli, where installed
        try:
            import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise WasteRulesError(
                f"{p}: reading TOML needs Python 3.11 or the tomli package; "
                "write the rules as JSON instead"
            ) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise WasteRulesError(f"{p} is not valid TOML ({exc})") from None


_RULE_KEYS = {"class", "why", "function", "file", "native", "code"}


def _rule_from_dict(item: Mapping[str, Any], where: str) -> WasteRule:
    unknown = set(item) - _RULE_KEYS
    if unknown:
        raise WasteRulesError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(_RULE_KEYS))})"
        )
    for key, value in item.items():
        if not isinstance(value, str):
            raise WasteRulesError(f"{where}: {key} must be a string")
    cls = item.get("class")
    if cls is None:
        raise WasteRulesError(f"{where}: missing class (compute, waiting or transport)")
    return WasteRule(
        str(cls),
        str(item.get("why") or where),
        function=item.get("function"),
        file=item.get("file"),
        native=item.get("native"),
        code=item.get("code"),
        origin=where,
    )


def rules_for(extra: str | os.PathLike[str] | None = None) -> tuple[WasteRule, ...]:
    """User rules (``extra``, else ``$SOVPROF_HOME/waste-rules.toml``) then the built-ins."""
    path = Path(extra) if extra is not None else default_rules_path()
    user = load_rules(path) if path is not None else []
    return (*user, *BUILTIN_RULES)

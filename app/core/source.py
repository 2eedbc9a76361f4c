"""Source files, their functions' cyclomatic complexity, and their line heat.

:func:`load_source` never raises for a file it cannot show: it returns a
:class:`SourceError` with a one-line reason.  Complexity comes from radon;
functions are named the way py-spy names them where it can be told apart:
``Class.method`` for methods, ``outer.inner`` for nested functions (py-spy
itself reports a nested function by its own name, and a method by the class
of ``self``, which may be a subclass; :func:`find_complexity` copes with both).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from radon.complexity import cc_visit  # type: ignore[import-untyped]
from radon.visitors import Class, Function  # type: ignore[import-untyped]

from app.core.model.calltree import top_functions
from app.core.model.profile import Profile

MAX_SOURCE_BYTES = 4 * 1024 * 1024
HOT_SHARE = 0.05  # a function with this share of samples (total) or more is hot
COMPLEX_CC = 10  # radon rates 11 and up as "C" (moderately complex) or worse


@dataclass(frozen=True)
class SourceFile:
    """A source file's text; line ``n`` (1-based) is ``lines[n - 1]``."""

    path: str
    text: str
    lines: tuple[str, ...]
    size: int  # bytes on disk

    @property
    def line_count(self) -> int:
        return len(self.lines)


@dataclass(frozen=True)
class SourceError:
    """Why a source file cannot be shown."""

    path: str
    reason: str

    @property
    def message(self) -> str:
        return f"Source not available: {self.path or '(no file)'} — {self.reason}"

    def __str__(self) -> str:
        return self.message


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "it is a directory"
    if exc.errno == errno.ENOTDIR:
        return "no such file (a parent is not a directory)"
    return (exc.strerror or type(exc).__name__).lower()


def _normalize(text: str) -> str:
    """Newlines as Python counts them: only \\n, \\r\\n and \\r end a line.

    U+2029 would start a new block in a Qt text view and shift every line
    number after it, so it is shown as U+FFFD instead.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2029", "\ufffd")


def load_source(
    path: str | os.PathLike[str], max_bytes: int = MAX_SOURCE_BYTES
) -> SourceFile | SourceError:
    """Read a text file for display, or say in one line why it cannot be shown."""
    name = os.fspath(path)
    if not name:
        return SourceError(name, "the sampler recorded no file name")
    if name.startswith("<") and name.endswith(">"):
        return SourceError(name, "not a file on disk (code without a source file)")
    try:
        st = os.stat(name)
        if stat.S_ISDIR(st.st_mode):
            return SourceError(name, "it is a directory")
        if not stat.S_ISREG(st.st_mode):
            return SourceError(name, "not a regular file")
        if st.st_size > max_bytes:
            return SourceError(
                name, f"too large ({st.st_size / 1048576:.1f} MiB, limit {max_bytes >> 20} MiB)"
            )
        with open(name, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return SourceError(name, _os_reason(exc))
    if len(data) > max_bytes:
        return SourceError(name, f"too large (over {max_bytes >> 20} MiB)")
    if b"\x00" in data:
        return SourceError(name, "binary file (contains NUL bytes)")
    text = _normalize(data.decode("utf-8", errors="replace").removeprefix("\ufeff"))
    lines = tuple(text.split("\n"))
    if lines and lines[-1] == "":
        lines = lines[:-1]
    return SourceFile(name, text, lines, len(data))


# -- complexity ----------------------------------------------------------------


@dataclass(frozen=True)
class FunctionComplexity:
    """One function (or method) of a file and its cyclomatic complexity."""

    name: str  # "f", "Class.method", "outer.inner", "Outer.Inner.method"
    complexity: int
    first_line: int
    last_line: int

    @property
    def short_name(self) -> str:
        return self.name.rpartition(".")[2]

    def contains(self, line: int) -> bool:
        return self.first_line <= line <= self.last_line


def _walk(blocks: Iterable[object], prefix: str, out: list[FunctionComplexity]) -> None:
    for b in blocks:
        if isinstance(b, Function):
            name = f"{prefix}{b.name}"
            out.append(FunctionComplexity(name, b.complexity, b.lineno, b.endline))
            _walk(b.closures, name + ".", out)
        elif isinstance(b, Class):
            name = f"{prefix}{b.name}"
            _walk(b.methods, name + ".", out)
            _walk(b.inner_classes, name + ".", out)


def function_complexities(text: str) -> list[FunctionComplexity]:
    """Every function, method and nested function of ``text``, in line order.

    Empty when the text is not valid Python (radon cannot parse it).
    """
    try:
        blocks = cc_visit(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    out: list[FunctionComplexity] = []
    # cc_visit lists top-level classes and, again, their methods as functions;
    # walk the classes and the top-level functions only.
    _walk((b for b in blocks if isinstance(b, Class) or not b.is_method), "", out)
    out.sort(key=lambda f: (f.first_line, f.name))
    return out


def complexity(path_or_text: str | os.PathLike[str]) -> dict[str, tuple[int, int, int]]:
    """``{qualified name: (cyclomatic complexity, first line, last line)}``.

    A ``Path`` (or a one-line string naming an existing file) is read with
    :func:`load_source`; any other string is taken as source text.  A file
    that cannot be read or parsed gives an empty dict.  Where two functions
    share a name (a property's getter and setter), the first one is kept.
    """
    if isinstance(path_or_text, os.PathLike) or (
        "\n" not in path_or_text and os.path.isfile(path_or_text)
    ):
        src = load_source(path_or_text)
        if isinstance(src, SourceError):
            return {}
        text = src.text
    else:
        text = path_or_text
    out: dict[str, tuple[int, int, int]] = {}
    for f in function_complexities(text):
        out.setdefault(f.name, (f.complexity, f.first_line, f.last_line))
    return out


def find_complexity(
    functions: Sequence[FunctionComplexity], function: str, line: int | None = None
) -> FunctionComplexity | None:
    """The function py-spy calls ``function``, with a sample at ``line`` if known.

    With a line: the innermost function around that line whose own name
    matches py-spy's last name part (that also finds a method py-spy names
    after a subclass, or a nested function).  Without: an exact qualified
    name, else a unique function whose qualified name ends with ``function``.
    """
    short = function.rpartition(".")[2]
    if line is not None:
        around = [f for f in functions if f.contains(line) and f.short_name == short]
        if around:
            return max(around, key=lambda f: (f.first_line, -f.last_line))
    for f in functions:
        if f.name == function:
            return f
    suffix = [f for f in functions if f.name.endswith("." + function)]
    if len(suffix) == 1:
        return suffix[0]
    by_short = [f for f in functions if f.short_name == short]
    return by_short[0] if len(by_short) == 1 else None


def complexity_for(function: str, file: str, line: int | None = None) -> FunctionComplexity | None:
    """Complexity of a function as py-spy reports it (name, file, a sampled line)."""
    src = load_source(file)
    if isinstance(src, SourceError):
        return None
    return find_complexity(function_complexities(src.text), function, line)


# -- samples per line and per function of one file -------------------------------


def file_line_counts(profile: Profile, file: str) -> dict[int, tuple[int, int]]:
    """Per line of ``file``: (self samples, total samples) over all its functions.

    A sample counts once per line even when the line is on the stack twice
    (recursion); ``self`` counts samples whose innermost frame is on that line.
    """
    frames = profile.frames.frames
    in_file = [f.file == file for f in frames]
    out: dict[int, tuple[int, int]] = {}
    for stack, n in profile.stack_counts().items():
        path = profile.stacks.frames_of(stack)
        seen: set[int] = set()
        for i, f in enumerate(path):
            if not in_file[f]:
                continue
            line = frames[f].line
            leaf = i == len(path) - 1
            if line in seen:
                if leaf:
                    s, t = out[line]
                    out[line] = (s + n, t)
                continue
            seen.add(line)
            s, t = out.get(line, (0, 0))
            out[line] = (s + (n if leaf else 0), t + n)
    return out


@dataclass(frozen=True)
class FileFunctionRow:
    """A function of a file with its complexity and samples (either may be unknown)."""

    name: str
    function_id: int | None  # None: defined in the file but never sampled
    complexity: int | None  # None: sampled but not found by radon (e.g. <module>)
    first_line: int
    self_samples: int
    total_samples: int

    def share(self, profile_total: int) -> float:
        return self.total_samples / profile_total if profile_total else 0.0

    def hot_and_complex(
        self, profile_total: int, min_share: float = HOT_SHARE, min_cc: int = COMPLEX_CC
    ) -> bool:
        """Worth a look first: complex code where much of the time goes."""
        return (self.complexity or 0) > min_cc and self.share(profile_total) >= min_share


def file_functions(
    profile: Profile, file: str, functions: Sequence[FunctionComplexity]
) -> list[FileFunctionRow]:
    """Every function of ``file``: radon's and the sampled ones, busiest first."""
    rows: list[FileFunctionRow] = []
    matched: set[FunctionComplexity] = set()
    for r in top_functions(profile):
        if r.file != file:
            continue
        fc = find_complexity(functions, r.function, r.line)
        if fc is not None:
            matched.add(fc)
        rows.append(
            FileFunctionRow(
                r.function,
                r.function_id,
                None if fc is None else fc.complexity,
                r.line if fc is None else fc.first_line,
                r.self_samples,
                r.total_samples,
            )
        )
    for fc in functions:
        if fc not in matched:
            rows.append(FileFunctionRow(fc.name, None, fc.complexity, fc.first_line, 0, 0))
    rows.sort(key=lambda r: (-r.total_samples, -r.self_samples, -(r.complexity or 0), r.name))
    return rows

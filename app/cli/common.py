"""Pieces several subcommands share: opening the store, summarising a profile."""

from __future__ import annotations

import argparse
import os
import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from app.cli.errors import CliError
from app.cli.output import shorten, table
from app.core.model.calltree import FunctionRow, top_functions
from app.core.model.profile import Profile
from app.core.sampling.pyspy import SamplerError
from app.core.store import Store, StoreError, default_store_path


def store_path(args: argparse.Namespace) -> Path:
    return Path(args.store) if getattr(args, "store", None) else default_store_path()


def open_store(args: argparse.Namespace) -> Store:
    """The session store named by --store / $SOVPROF_HOME, or a CliError."""
    try:
        return Store(store_path(args))
    except StoreError as exc:
        raise CliError(str(exc)) from None


def resolve_session(store: Store, ref: str) -> int:
    try:
        return store.resolve(ref)
    except StoreError as exc:
        raise CliError(str(exc)) from None


def top_rows(profile: Profile, limit: int | None = None) -> list[FunctionRow]:
    rows = top_functions(profile)
    return rows if limit is None else rows[:limit]


def top_json(profile: Profile, limit: int | None = 50) -> list[dict[str, Any]]:
    return [
        {
            "function": r.function,
            "file": r.file,
            "line": r.line,
            "self_samples": r.self_samples,
            "total_samples": r.total_samples,
        }
        for r in top_rows(profile, limit)
    ]


def top_table(profile: Profile, limit: int = 15) -> str:
    total = profile.total_samples or 1
    rows = []
    for r in top_rows(profile, limit):
        where = f"{shorten(r.file, 48)}:{r.line}" if r.file else ""
        rows.append(
            [
                f"{100 * r.self_samples / total:5.1f}%",
                f"{100 * r.total_samples / total:5.1f}%",
                r.self_samples,
                r.total_samples,
                r.function,
                where,
            ]
        )
    return table(["self%", "total%", "self", "total", "function", "location"], rows, {0, 1, 2, 3})


def finish_session(store: Store, session: int, status: str, message: str | None) -> None:
    """Mark a recorded session finished, or a CliError."""
    try:
        store.finish_session(session, status, message)
    except StoreError as exc:
        raise CliError(str(exc)) from None


def export_profile(profile: Profile, path: str) -> str:
    """``record -o``: speedscope, or collapsed for .txt/.collapsed/.folded; the full path."""
    from app.cli.export import write_export

    fmt = "collapsed" if path.endswith((".txt", ".collapsed", ".folded")) else "speedscope"
    write_export(profile, fmt, path)
    return os.path.abspath(path)


class _Sampler(Protocol):
    def run(self, on_window: Any) -> str: ...
    def stop(self) -> None: ...


def run_sampler(
    sampler: _Sampler, on_window: Any, store: Store, session: int, end_status: Callable[[], None]
) -> str:
    """Run a live sampler until it ends; Ctrl-C and SIGTERM stop it cleanly.

    A SamplerError ends the session as "failed" and becomes a one-line CliError.
    """

    def on_signal(signum: int, frame: FrameType | None) -> None:
        sampler.stop()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return sampler.run(on_window)
    except SamplerError as exc:
        end_status()
        finish_session(store, session, "failed", str(exc))
        raise CliError(str(exc)) from None
    finally:
        for s, h in old.items():
            signal.signal(s, h)

"""Record a live profile of a running PID, a launched program, or the demo.

Examples:
  sovprof record --pid 1234 --duration 30
  sovprof record -- python my_script.py --its-args
  sovprof record --demo
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from typing import Any

from app.cli import allocations as alloc_cli
from app.cli.cluster import add_cluster_arguments, run_cluster
from app.cli.common import (
    export_profile,
    finish_session,
    open_store,
    run_sampler,
    top_json,
    top_table,
)
from app.cli.errors import CliError, UsageError
from app.cli.output import print_json
from app.core.counters.base import TargetGoneError
from app.core.counters.recorder import CounterRecorder
from app.core.model.profile import Profile
from app.core.privileges import allow_tracing_by
from app.core.processes import TargetError, check_target
from app.core.sampling.live import LiveSampler, SamplerStats
from app.core.sampling.pyspy import PySpyMissingError, SamplerOptions, find_pyspy
from app.core.store import Store, StoreError

HELP = "record a live profile (--pid PID, -- CMD ..., or --demo)"
TAKES_COMMAND = True
DEMO_SECONDS = 10.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    target = p.add_mutually_exclusive_group()
    target.add_argument("--pid", type=int, help="attach to this running Python process")
    target.add_argument("--demo", action="store_true", help="record the bundled demo workload")
    p.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="seconds to record (default: until Ctrl-C or exit)",
    )
    p.add_argument(
        "--rate", type=int, default=100, metavar="HZ", help="samples per second (default 100)"
    )
    p.add_argument("--idle", action="store_true", help="include idle threads")
    p.add_argument("--gil", action="store_true", help="only samples holding the GIL")
    p.add_argument("--native", action="store_true", help="include native (C/C++/Cython) frames")
    p.add_argument("--subprocesses", action="store_true", help="also profile child processes")
    p.add_argument(
        "--nonblocking", action="store_true", help="do not pause the target while sampling"
    )
    p.add_argument("--name", help="session name (default: the target's command)")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="also export the profile (speedscope .json or collapsed .txt)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--quiet", action="store_true", help="no live status line")
    p.add_argument(
        "--no-counters", action="store_true", help="do not read perf_event/psutil/GPU counters"
    )
    p.add_argument("--allocations", action="store_true", help="also record allocations (memray)")
    add_cluster_arguments(p)


def _validate(args: argparse.Namespace) -> None:
    chosen = sum([args.pid is not None, bool(args.demo), bool(args.target_cmd), bool(args.dask)])
    if chosen == 0:
        raise UsageError("say what to record: --pid PID, --demo, --dask ADDRESS, or -- CMD ...")
    if chosen > 1:
        raise UsageError("give only one of --pid, --demo, --dask, or -- CMD ...")
    if not 1 <= args.rate <= 10_000:
        raise UsageError("--rate must be between 1 and 10000 samples per second")
    if args.duration is not None and args.duration <= 0:
        raise UsageError("--duration must be positive")


def _launch(cmd: list[str], json_mode: bool) -> subprocess.Popen[bytes]:
    try:
        # In --json mode stdout carries exactly one document: the program's
        # stdout goes to our stderr instead.
        # Under Yama ptrace_scope=1 py-spy (our child) may not trace its sibling unless
        # the program declares us as its tracer before exec.
        return subprocess.Popen(
            cmd,
            stdout=sys.stderr if json_mode else None,
            preexec_fn=allow_tracing_by(os.getpid()),  # one prctl call, no locks
        )
    except FileNotFoundError:
        raise CliError(f"cannot run {cmd[0]!r}: command not found") from None
    except PermissionError:
        raise CliError(f"cannot run {cmd[0]!r}: permission denied") from None
    except OSError as exc:
        raise CliError(f"cannot run {cmd[0]!r}: {exc.strerror or exc}") from None


def _stop_child(child: subprocess.Popen[bytes] | None) -> None:
    if child is None or child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(3)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


class _StatusLine:
    """The live line: elapsed, samples, lost %; a line per 10 windows off a TTY."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.shown = False

    def update(self, profile: Profile, idx: int, st: SamplerStats) -> None:
        if not self.enabled:
            return
        text = (
            f"recording {st.elapsed_s:6.1f} s  samples {st.samples:7d}  "
            f"lost {st.lost_pct:4.1f}%  windows {st.windows}  gap {st.last_gap_s * 1000:4.0f} ms"
        )
        if self.tty:
            sys.stderr.write("\r" + text)
            self.shown = True
        elif st.windows % 10 == 1:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def end(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    _validate(args)
    if args.dask:
        return run_cluster(args)
    try:
        find_pyspy()
    except PySpyMissingError as exc:
        raise CliError(str(exc)) from None
    store = open_store(args)
    options = SamplerOptions(
        rate=args.rate,
        idle=args.idle,
        gil=args.gil,
        native=args.native,
        subprocesses=args.subprocesses,
        nonblocking=args.nonblocking,
    )
    child: subprocess.Popen[bytes] | None = None
    alloc: alloc_cli.AllocationRecording | None = None
    duration = args.duration
    if args.pid is not None:
        try:
            check_target(args.pid)
        except TargetError as exc:
            raise CliError(str(exc)) from None
        pid, target = args.pid, _describe_pid(args.pid)
        alloc = alloc_cli.start(args, pid=pid)
    else:
        if args.demo:
            duration = duration or DEMO_SECONDS
            cmd = [sys.executable, "-m", "app.demo.workload", "--seconds", str(duration + 2)]
            target = "sovprof demo workload"
        else:
            cmd = list(args.target_cmd)
            target = shlex.join(cmd)
        alloc = alloc_cli.start(args, command=cmd)
        child = _launch(alloc.command if alloc and alloc.command else cmd, args.json)
        pid = child.pid
    try:
        return _record(args, store, options, pid, target, duration, child, alloc)
    finally:
        _stop_child(child)
        alloc_cli.close(alloc)
        store.close()


def _describe_pid(pid: int) -> str:
    import psutil

    try:
        return shlex.join(psutil.Process(pid).cmdline()) or f"PID {pid}"
    except psutil.Error:
        return f"PID {pid}"


def _record(
    args: argparse.Namespace,
    store: Store,
    options: SamplerOptions,
    pid: int,
    target: str,
    duration: float | None,
    child: subprocess.Popen[bytes] | None,
    alloc: alloc_cli.AllocationRecording | None = None,
) -> int:
    sampler = LiveSampler(pid, options, duration_s=duration, child=child)
    try:
        session = store.create_session(
            name=args.name or target,
            target=target,
            pid=pid,
            rate_hz=float(options.rate),
            options=options.as_dict(),
        )
    except StoreError as exc:
        raise CliError(str(exc)) from None
    status_line = _StatusLine(not args.quiet and not args.json)
    store_failure: list[str] = []
    counters = None if args.no_counters else _open_counters(store, session, pid)

    def on_window(profile: Profile, idx: int, st: SamplerStats) -> None:
        if store_failure:
            return
        try:
            reading = counters.read_window() if counters is not None else None
            store.append_window(session, profile, idx, reading)
        except StoreError as exc:
            store_failure.append(str(exc))
            sampler.stop()
            return
        status_line.update(profile, idx, st)

    started = time.time()
    try:
        status = run_sampler(sampler, on_window, store, session, status_line.end)
    finally:
        if counters is not None:
            counters.close()
    status_line.end()
    message = store_failure[0] if store_failure else sampler.message
    finish_session(store, session, "failed" if store_failure else status, message or None)
    if store_failure:
        raise CliError(f"{store_failure[0]} (windows recorded before this are kept)")
    profile = sampler.profile
    exported = export_profile(profile, args.output) if args.output else None
    summary = _summary(session, target, profile, status, sampler.stats, time.time() - started)
    if counters is not None:
        summary["counters"] = _counter_summary(store, session)
    if alloc is not None:
        summary["allocations"] = alloc_cli.finish(alloc, profile, child, store, session)
    if exported:
        summary["output"] = exported
    if args.json:
        print_json(summary)
    else:
        _print_text(summary, profile)
    if status == "failed":
        raise CliError(message or "py-spy stopped sampling")
    return 0


def _open_counters(store: Store, session: int, pid: int) -> CounterRecorder | None:
    """Counters for the target, recorded with each window; None if it is already gone."""
    try:
        recorder = CounterRecorder(pid)
    except TargetGoneError:
        return None
    try:
        store.set_counter_info(session, recorder.specs(), recorder.unsupported())
    except StoreError as exc:
        recorder.close()
        raise CliError(str(exc)) from None
    return recorder


def _counter_summary(store: Store, session: int) -> dict[str, Any]:
    try:
        series = store.load_counters(session)
    except StoreError:
        return {}
    totals = {
        name: {"unit": spec.unit, "kind": spec.kind, "value": series.total(name)}
        for name, spec in sorted(series.specs.items())
        if series.total(name) is not None
    }
    return {
        "totals": totals,
        "unsupported": [
            {"name": u.name, "reason": u.reason, "fix": u.fix} for u in series.unsupported
        ],
    }


def _summary(
    session: int, target: str, profile: Profile, status: str, st: SamplerStats, wall: float
) -> dict[str, Any]:
    return {
        "session": session,
        "target": target,
        "status": status,
        "samples": profile.total_samples,
        "windows": len(profile.windows),
        "lost_samples": profile.lost_samples,
        "lost_pct": round(st.lost_pct, 3),
        "duration_s": round(profile.duration if profile.windows else wall, 3),
        "rate_hz": profile.rate_hz,
        "threads": [
            {"pid": t.pid, "tid": t.tid, "name": t.name, "samples": n}
            for t, n in zip(profile.threads, profile.thread_totals(), strict=True)
        ],
        "pyspy_cpu_pct": round(st.pyspy_cpu_pct, 2),
        "max_gap_ms": round(st.max_gap_s * 1000, 1),
        "top": top_json(profile),
    }


def _print_text(summary: dict[str, Any], profile: Profile) -> None:
    print(
        f"session {summary['session']}: {summary['status']} — {summary['samples']} samples in "
        f"{summary['windows']} windows over {summary['duration_s']:.1f} s, "
        f"lost {summary['lost_samples']} ({summary['lost_pct']:.1f}%), "
        f"{len(summary['threads'])} thread(s)"
    )
    if summary.get("output"):
        print(f"exported to {summary['output']}")
    if summary.get("allocations"):
        print(alloc_cli.brief_text(summary["allocations"]))
    counters = summary.get("counters") or {}
    totals = counters.get("totals", {})
    shown = []
    for name, label in (
        ("perf.task-clock", "CPU"),
        ("perf.context-switches", "context switches"),
        ("perf.page-faults", "page faults"),
    ):
        if name in totals:
            v = totals[name]["value"]
            shown.append(
                f"{label} {v / 1e9:.2f} s" if name.endswith("clock") else f"{label} {v:,.0f}"
            )
    if shown or counters.get("unsupported"):
        n_unsupported = len(counters.get("unsupported", []))
        print(
            "counters: "
            + ", ".join(shown)
            + (
                f" ({n_unsupported} unsupported here: `sovprof counters --pid …` says why)"
                if n_unsupported
                else ""
            )
        )
    if profile.total_samples:
        print()
        print(top_table(profile))
    else:
        print("no samples: the target was idle (try --idle) or exited at once")

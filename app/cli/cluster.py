"""Record one live profile of every worker of a Dask cluster.

Examples:
  sovprof record --dask tcp://scheduler:8786 --duration 30
  sovprof record --dask embedded --duration 10 --json

Workers on this machine are attached to directly; workers on other hosts run py-spy
there, through Dask (py-spy must be installed on those hosts).  ``--dask embedded``
starts a local cluster with a busy demo workload and profiles it.

``record`` wires ``--dask`` through :func:`add_cluster_arguments` and hands over to
:func:`run_cluster`; ``python -m app.cli.cluster`` runs it on its own.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from app.cli.common import (
    export_profile,
    finish_session,
    open_store,
    run_sampler,
    top_json,
    top_table,
)
from app.cli.errors import CliError, UsageError
from app.cli.output import print_json, shorten, table
from app.core.model.profile import Profile
from app.core.sampling.cluster import MODE_AUTO, MODES, ClusterSampler
from app.core.sampling.live import SamplerStats
from app.core.sampling.pyspy import SamplerOptions
from app.core.store import Store, StoreError

EMBEDDED = "embedded"
DEMO_SECONDS = 10.0
PROBE_TIMEOUT_S = 5.0


def add_cluster_arguments(p: argparse.ArgumentParser) -> None:
    """The cluster options of ``record`` (``--duration``, ``--rate``, ``--json``… are
    record's own and are read from the same namespace)."""
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="profile every worker of the Dask cluster whose scheduler is at ADDRESS "
        f"(e.g. tcp://host:8786); '{EMBEDDED}' starts a local cluster with a demo workload",
    )
    p.add_argument(
        "--dask-mode",
        choices=MODES,
        default=MODE_AUTO,
        help="how workers are sampled: auto (attach on this machine, py-spy through Dask "
        "elsewhere), attach (this machine only) or via-dask (py-spy through Dask everywhere)",
    )
    p.add_argument(
        "--dask-workers",
        type=int,
        default=2,
        metavar="N",
        help=f"worker processes of the '{EMBEDDED}' cluster (default 2)",
    )


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    """A parser with everything :func:`run_cluster` reads (for running this module alone)."""
    p = _Parser(prog="sovprof record", description=__doc__)
    p.add_argument("--store", metavar="PATH", help="session store file")
    add_cluster_arguments(p)
    p.add_argument("--duration", type=float, metavar="S", help="seconds to record")
    p.add_argument("--rate", type=int, default=100, metavar="HZ", help="samples per second")
    p.add_argument("--idle", action="store_true", help="include idle threads")
    p.add_argument("--gil", action="store_true", help="only samples holding the GIL")
    p.add_argument("--native", action="store_true", help="include native frames")
    p.add_argument("--nonblocking", action="store_true", help="do not pause the workers")
    p.add_argument("--name", help="session name")
    p.add_argument("-o", "--output", metavar="FILE", help="also export the profile")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--quiet", action="store_true", help="no live status line")
    return p


def _validate(args: argparse.Namespace) -> None:
    if not (getattr(args, "dask", None) or "").strip():
        raise UsageError("say which cluster: --dask ADDRESS or --dask embedded")
    rate = getattr(args, "rate", 100)
    if not 1 <= rate <= 10_000:
        raise UsageError("--rate must be between 1 and 10000 samples per second")
    duration = getattr(args, "duration", None)
    if duration is not None and duration <= 0:
        raise UsageError("--duration must be positive")
    if getattr(args, "dask_workers", 2) < 1:
        raise UsageError("--dask-workers must be at least 1")
    if getattr(args, "pid", None) is not None or getattr(args, "target_cmd", None):
        raise UsageError("give either --dask or a --pid / command to record, not both")


def run_cluster(args: argparse.Namespace) -> int:
    """``sovprof record --dask ADDRESS``: open the store, record, print the summary."""
    _validate(args)
    options = SamplerOptions(
        rate=getattr(args, "rate", 100),
        idle=getattr(args, "idle", False),
        gil=getattr(args, "gil", False),
        native=getattr(args, "native", False),
        nonblocking=getattr(args, "nonblocking", False),
    )
    address = args.dask.strip()
    duration = getattr(args, "duration", None)
    _quiet_distributed()
    if address != EMBEDDED:
        _check_reachable(address)
    store = open_store(args)
    demo: Any = None
    try:
        if address == EMBEDDED:
            demo = _start_demo(args.dask_workers)
            address = demo.address
            duration = duration or DEMO_SECONDS
            target = f"embedded Dask demo cluster {address}"
        else:
            target = f"Dask cluster {address}"
        return _record(args, store, options, address, target, duration)
    finally:
        if demo is not None:
            demo.close()
        store.close()


def _quiet_distributed() -> None:
    """distributed logs tracebacks when a scheduler goes away; we say it in one line."""
    if os.environ.get("SOVPROF_DEBUG"):
        return
    import logging

    try:
        import distributed  # noqa: F401  (sets up its loggers, which are then quietened)
    except ImportError:
        return  # the probe says so, in one line
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "distributed"]
    for name in ["distributed", *names]:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _check_reachable(address: str) -> None:
    """A clear one-line error before any session is created."""
    from kernels.dask_tier import probe

    info = probe(address, timeout_s=PROBE_TIMEOUT_S)
    if "workers" not in info:
        raise CliError(str(info.get("problem") or f"cannot reach Dask scheduler {address}"))


def _start_demo(n_workers: int) -> Any:
    from app.demo.dask_workload import EmbeddedDemo

    demo = EmbeddedDemo(n_workers)
    try:
        demo.start()
    except ImportError as exc:
        raise CliError(f"the embedded cluster needs dask.distributed ({exc})") from None
    except Exception as exc:
        demo.close()
        raise CliError(f"cannot start the embedded Dask cluster: {exc}") from None
    return demo


class _StatusLine:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.shown = False

    def update(self, sampler: ClusterSampler, st: SamplerStats) -> None:
        if not self.enabled:
            return
        live = sum(1 for w in sampler.workers if w.state == "sampling")
        text = (
            f"recording {st.elapsed_s:6.1f} s  workers {live}  samples {st.samples:7d}  "
            f"lost {st.lost_pct:4.1f}%  windows {st.windows}"
        )
        if self.tty:
            sys.stderr.write("\r" + text)
            self.shown = True
        elif st.windows % 10 == 1:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def note(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write(("\n" if self.shown else "") + f"sovprof: {text}\n")
            sys.stderr.flush()
            self.shown = False

    def end(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _record(
    args: argparse.Namespace,
    store: Store,
    options: SamplerOptions,
    address: str,
    target: str,
    duration: float | None,
) -> int:
    quiet = getattr(args, "quiet", False)
    json_mode = getattr(args, "json", False)
    status_line = _StatusLine(not quiet and not json_mode)
    notes = _StatusLine(not quiet)
    sampler = ClusterSampler(
        address,
        options,
        duration_s=duration,
        mode=getattr(args, "dask_mode", MODE_AUTO),
        on_event=notes.note,
    )
    try:
        session = store.create_session(
            name=getattr(args, "name", None) or target,
            target=target,
            pid=None,
            rate_hz=float(options.rate),
            options={**options.as_dict(), "dask": address, "dask_mode": sampler.mode},
            meta={"cluster": {"scheduler": address}},
        )
    except StoreError as exc:
        raise CliError(str(exc)) from None
    store_failure: list[str] = []

    def on_window(profile: Profile, idx: int, st: SamplerStats) -> None:
        if store_failure:
            return
        try:
            store.append_window(session, profile, idx)
        except StoreError as exc:
            store_failure.append(str(exc))
            sampler.stop()
            return
        status_line.update(sampler, st)

    started = time.time()
    status = run_sampler(sampler, on_window, store, session, status_line.end)
    status_line.end()
    message = store_failure[0] if store_failure else sampler.message
    finish_session(store, session, "failed" if store_failure else status, message or None)
    if store_failure:
        raise CliError(f"{store_failure[0]} (windows recorded before this are kept)")
    summary = _summary(session, target, address, sampler, status, time.time() - started)
    output = getattr(args, "output", None)
    if output:
        summary["output"] = export_profile(sampler.profile, output)
    if json_mode:
        print_json(summary)
    else:
        _print_text(summary, sampler.profile)
    if status == "failed":
        raise CliError(message or "no worker could be sampled")
    return 0


def _summary(
    session: int, target: str, address: str, sampler: ClusterSampler, status: str, wall: float
) -> dict[str, Any]:
    profile, st = sampler.profile, sampler.stats
    return {
        "session": session,
        "target": target,
        "scheduler": address,
        "status": status,
        "message": sampler.message or None,
        "samples": profile.total_samples,
        "windows": len(profile.windows),
        "lost_samples": profile.lost_samples,
        "lost_pct": round(st.lost_pct, 3),
        "duration_s": round(profile.duration if profile.windows else wall, 3),
        "rate_hz": profile.rate_hz,
        "workers": [w.as_dict() for w in sampler.workers],
        "events": list(sampler.events),
        "threads": [
            {"pid": t.pid, "tid": t.tid, "name": t.name, "samples": n}
            for t, n in zip(profile.threads, profile.thread_totals(), strict=True)
        ],
        "pyspy_cpu_pct": round(st.pyspy_cpu_pct, 2),
        "max_gap_ms": round(st.max_gap_s * 1000, 1),
        "top": top_json(profile),
    }


def _print_text(summary: dict[str, Any], profile: Profile) -> None:
    workers = summary["workers"]
    print(
        f"session {summary['session']}: {summary['status']} — {summary['samples']} samples "
        f"from {len(workers)} worker(s) in {summary['windows']} windows over "
        f"{summary['duration_s']:.1f} s, lost {summary['lost_samples']} "
        f"({summary['lost_pct']:.1f}%)"
    )
    if summary.get("output"):
        print(f"exported to {summary['output']}")
    if workers:
        rows = [
            [
                shorten(w["address"], 28),
                w["host"],
                w["pid"],
                w["mode"],
                w["samples"],
                f"{w['lost_pct']:.1f}%",
                w["problem"] or w["state"],
            ]
            for w in workers
        ]
        print()
        print(table(["worker", "host", "pid", "via", "samples", "lost", "state"], rows, {2, 4, 5}))
    if profile.total_samples:
        print()
        print(top_table(profile))
    else:
        print("no samples: the workers were idle (try --idle) or could not be sampled")


def _fail(message: str) -> None:
    first = " ".join(message.split("\n")).strip()
    sys.stderr.write(f"sovprof: error: {first}\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m app.cli.cluster --dask ADDRESS …``: errors as ``sovprof`` reports them."""
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        return run_cluster(args)
    except CliError as exc:
        _fail(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

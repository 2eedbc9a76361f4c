"""Entry point of the PyInstaller app (``dist/sovprof/sovprof``).

A frozen app has no Python interpreter to start, yet sovprof runs some work as
``sys.executable -m MODULE ARGS`` (the demo workload that ``record --demo``
profiles, the kernel worker processes).  In the frozen app ``sys.executable`` is
this program, so it answers that form itself: ``sovprof -m MODULE ARGS`` runs a
bundled module as ``__main__``, as ``python -m`` would.  Anything else is the
ordinary ``sovprof`` command line.
"""

from __future__ import annotations

import multiprocessing
import runpy
import sys

# The kernel tiers need compilers that the standalone build leaves out (numba and
# llvmlite alone are ~200 MB); the numpy reference tier still runs.
KERNEL_COMMANDS = {"bench", "calibrate", "tiers"}
KERNEL_NOTE = (
    "sovprof: note: this standalone build has no kernel tiers (numba, pyopencl and "
    "dask are left out): only the numpy reference runs. For the scalar, SIMD, OpenCL and "
    "Dask tiers install the Python package: pip install sovprof\n"
)


def _run_module(argv: list[str]) -> int:
    if len(argv) < 3:
        sys.stderr.write("sovprof: error: -m needs a module name\n")
        return 2
    module = argv[2]
    sys.argv = [sys.executable, *argv[3:]]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        sys.stderr.write(f"{exc.code}\n")
        return 1
    return 0


def main() -> int:
    multiprocessing.freeze_support()
    argv = list(sys.argv)
    if len(argv) > 1 and argv[1] == "-m":
        return _run_module(argv)
    if len(argv) > 1 and argv[1] in KERNEL_COMMANDS:
        try:
            import numba  # noqa: F401
        except ImportError:
            sys.stderr.write(KERNEL_NOTE)
    from app.cli.main import main as sovprof_main

    return sovprof_main()


if __name__ == "__main__":
    raise SystemExit(main())

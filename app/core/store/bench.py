"""Kernel-suite results in the store: calibrations, runs (cell by cell) and baselines.

Cells are plain dicts (``kernels.runner.Cell.as_dict()``), stored as JSON with their raw
samples so a later run can be compared with them statistically.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from app.core.store.errors import StoreError


class _Transactions(Protocol):
    def _write(self, doing: str) -> AbstractContextManager[sqlite3.Connection]: ...
    def _read(self, doing: str) -> AbstractContextManager[sqlite3.Connection]: ...


@dataclass(frozen=True)
class BenchRun:
    id: int
    created: float
    name: str
    status: str
    fingerprint: dict[str, Any]
    options: dict[str, Any]
    calibration: int | None
    cells: int


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, allow_nan=False)


def _loads(text: str | None) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return {}


def _clean(value: Any) -> Any:
    """JSON has no NaN/inf: store them as null."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class BenchStore:
    """Mixed into :class:`app.core.store.Store`."""

    # -- calibration ----------------------------------------------------------

    def save_calibration(
        self: _Transactions, data: dict[str, Any], fingerprint: dict[str, Any]
    ) -> int:
        with self._write("save the calibration") as conn:
            cur = conn.execute(
                "INSERT INTO calibrations (created, fingerprint, data) VALUES (?, ?, ?)",
                (time.time(), _dumps(_clean(fingerprint)), _dumps(_clean(data))),
            )
            return int(cur.lastrowid or 0)

    def latest_calibration(self: _Transactions) -> tuple[int, dict[str, Any]] | None:
        with self._read("read the calibration") as conn:
            row = conn.execute(
                "SELECT id, data FROM calibrations ORDER BY id DESC LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        data = _loads(row[1])
        return int(row[0]), data if isinstance(data, dict) else {}

    # -- runs -----------------------------------------------------------------

    def create_bench_run(
        self: _Transactions,
        fingerprint: dict[str, Any],
        options: dict[str, Any],
        calibration: int | None = None,
        name: str = "",
    ) -> int:
        with self._write("start a benchmark run") as conn:
            cur = conn.execute(
                "INSERT INTO bench_runs (created, name, fingerprint, options, calibration) "
                "VALUES (?, ?, ?, ?, ?)",
                (time.time(), name, _dumps(_clean(fingerprint)), _dumps(_clean(options)),
                 calibration),
            )  # fmt: skip
            return int(cur.lastrowid or 0)

    def add_bench_cell(self: _Transactions, run: int, cell: dict[str, Any]) -> None:
        """One transaction per cell: whatever finished is kept if we die later."""
        with self._write("save a benchmark result") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO bench_cells (run, kernel, tier, size, data) "
                "VALUES (?, ?, ?, ?, ?)",
                (run, cell["kernel"], cell["tier"], int(cell["size"]), _dumps(_clean(cell))),
            )

    def finish_bench_run(self: _Transactions, run: int, status: str) -> None:
        with self._write("finish the benchmark run") as conn:
            conn.execute("UPDATE bench_runs SET status = ? WHERE id = ?", (status, run))

    def bench_runs(self: _Transactions) -> list[BenchRun]:
        with self._read("list benchmark runs") as conn:
            rows = conn.execute(
                "SELECT r.id, r.created, r.name, r.status, r.fingerprint, r.options, "
                "r.calibration, COUNT(c.size) FROM bench_runs AS r "
                "LEFT JOIN bench_cells AS c ON c.run = r.id GROUP BY r.id ORDER BY r.id"
            ).fetchall()
        return [
            BenchRun(int(r[0]), float(r[1]), r[2], r[3], _loads(r[4]), _loads(r[5]), r[6], r[7])
            for r in rows
        ]

    def bench_cells(self: _Transactions, run: int) -> list[dict[str, Any]]:
        with self._read("read benchmark results") as conn:
            rows = conn.execute(
                "SELECT data FROM bench_cells WHERE run = ? ORDER BY kernel, tier, size", (run,)
            ).fetchall()
        return [d for d in (_loads(r[0]) for r in rows) if isinstance(d, dict)]

    def resolve_bench_run(self: _Transactions, ref: str) -> int:
        """A run id, ``latest``, or a baseline's name."""
        with self._read("find a benchmark run") as conn:
            if ref in ("latest", "last"):
                row = conn.execute(
                    "SELECT r.id FROM bench_runs AS r WHERE EXISTS "
                    "(SELECT 1 FROM bench_cells AS c WHERE c.run = r.id) ORDER BY r.id DESC"
                ).fetchone()
            elif ref.isdigit():
                row = conn.execute("SELECT id FROM bench_runs WHERE id = ?", (int(ref),)).fetchone()
            else:
                row = conn.execute("SELECT run FROM baselines WHERE name = ?", (ref,)).fetchone()
        if row is None:
            what = (
                "no benchmark run yet (run `sovprof bench`)"
                if ref in ("latest", "last")
                else (f"no benchmark run or baseline {ref!r} (see `sovprof bench --list`)")
            )
            raise StoreError(what)
        return int(row[0])

    # -- baselines --------------------------------------------------------------

    def save_baseline(self: _Transactions, name: str, run: int) -> None:
        if not name.strip():
            raise StoreError("a baseline needs a name")
        with self._write(f"save baseline {name!r}") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO baselines (name, run, created) VALUES (?, ?, ?)",
                (name, run, time.time()),
            )

    def baselines(self: _Transactions) -> dict[str, int]:
        with self._read("list baselines") as conn:
            rows = conn.execute("SELECT name, run FROM baselines ORDER BY name").fetchall()
        return {str(r[0]): int(r[1]) for r in rows}


def iter_cells(
    cells: list[dict[str, Any]],
) -> Iterator[tuple[tuple[str, str, int], dict[str, Any]]]:
    for c in cells:
        yield (str(c["kernel"]), str(c["tier"]), int(c["size"])), c

"""(d) CPU time `sovprof record` itself uses at 100 Hz (its own process, not
its py-spy windows), beside the CPU of the py-spy windows it ran and of one
continuous py-spy over the same time.  Goal: sovprof itself <= 5 % of a core.
"""

from __future__ import annotations

from _common import pyspy_continuous, sovprof_record, start_target, verdict

SECONDS = 10


def main() -> None:
    target = start_target("threads", "60")
    try:
        doc, own = sovprof_record(target.pid, SECONDS)
        _, pyspy_cpu = pyspy_continuous(target.pid, SECONDS)
    finally:
        target.kill()
    own_pct = 100 * own
    windows_pct = float(doc["pyspy_cpu_pct"])  # type: ignore[arg-type]
    print(f"{'process':<36} {'CPU % of one core':>18}")
    print(f"{'sovprof record (own process)':<36} {own_pct:>18.2f}")
    print(f"{'py-spy windows run by sovprof':<36} {windows_pct:>18.2f}")
    print(f"{'one continuous py-spy record':<36} {100 * pyspy_cpu / SECONDS:>18.2f}")
    print(f"sovprof's own CPU: {own_pct:.2f}% of a core (goal <= 5%) {verdict(own_pct <= 5)}")


if __name__ == "__main__":
    main()

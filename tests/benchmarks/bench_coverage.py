"""(a) Samples kept: `sovprof record --duration 10 --rate 100` vs one continuous
`py-spy record` over 10 s of the same busy target.  Goal: >= 98 %.

Two rounds, order alternated; the two never run at the same time (py-spy pauses
the target with ptrace, two at once would fight).
"""

from __future__ import annotations

from _common import pyspy_continuous, sovprof_record, start_target, verdict

SECONDS = 10


def main() -> None:
    target = start_target("ratio_70_30", "120")
    rows = []
    try:
        for rnd in range(2):
            order = ("pyspy", "sovprof") if rnd % 2 == 0 else ("sovprof", "pyspy")
            got: dict[str, int] = {}
            lost = 0
            for who in order:
                if who == "pyspy":
                    got["pyspy"], _ = pyspy_continuous(target.pid, SECONDS)
                else:
                    doc, _ = sovprof_record(target.pid, SECONDS)
                    got["sovprof"] = int(doc["samples"])  # type: ignore[call-overload]
                    lost = int(doc["lost_samples"])  # type: ignore[call-overload]
            rows.append((got["pyspy"], got["sovprof"], lost))
    finally:
        target.kill()
    print(
        f"{'round':>5}  {'py-spy continuous':>17}  {'sovprof windows':>15}  "
        f"{'kept':>7}  {'reported lost':>13}"
    )
    for i, (a, b, lost) in enumerate(rows):
        print(f"{i + 1:>5}  {a:>17}  {b:>15}  {100 * b / a:6.1f}%  {lost:>13}")
    total_a = sum(r[0] for r in rows)
    total_b = sum(r[1] for r in rows)
    kept = 100 * total_b / total_a
    print(f"samples kept by sovprof vs py-spy: {kept:.1f}% (goal >= 98%) {verdict(kept >= 98)}")


if __name__ == "__main__":
    main()

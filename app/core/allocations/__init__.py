"""Allocation profiling with memray, recorded alongside the py-spy samples.

- :mod:`.command`: how a program is launched under memray (or memray attached to it),
  and which tools that needs.
- :mod:`.launcher`: the script that runs inside the target's interpreter.
- :mod:`.capture`: a memray capture read into sovprof's own Profile model.
- :mod:`.hotloops`: functions that are both hot in CPU samples and allocate heavily.
- :mod:`.recorder`: the hook ``sovprof record --allocations`` drives.

Nothing is imported here, so that the store can import :mod:`.capture` without a cycle.
"""

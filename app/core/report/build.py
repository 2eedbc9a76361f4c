"""Assemble a session's report: the profile's sections, its counters, its allocations,
the kernel suites."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.allocations.model import AllocationCapture
from app.core.counters.series import CounterSeries
from app.core.model.profile import Profile
from app.core.report.allocations_data import allocations_data
from app.core.report.kernels_data import kernels_sections
from app.core.report.packing import StringTable
from app.core.report.profile_data import PruneOptions, profile_sections
from app.core.report.waste_data import waste_data
from app.core.store import Store

PROFILE_SECTIONS = ("summary", "flame", "top", "waste", "timeline", "counters", "allocations")
KERNEL_SECTIONS = ("kernels", "selector")


@dataclass
class Report:
    """What :func:`app.core.report.write_html` needs: a title, data and sections."""

    title: str
    data: dict[str, Any]
    sections: list[str] = field(default_factory=list)


def profile_report(
    profile: Profile,
    counters: CounterSeries | None = None,
    prune: PruneOptions | None = None,
    title: str | None = None,
    allocations: AllocationCapture | None = None,
) -> Report:
    """The report of one profile (no kernel suites), with its allocation capture if any."""
    strings = StringTable()
    data = profile_sections(profile, strings, counters, prune)
    data["waste"] = waste_data(profile, strings)
    if allocations is not None:
        data["allocations"] = allocations_data(allocations, strings, profile, prune)
    data["strings"] = strings.strings
    optional = {"counters": counters, "allocations": allocations}
    sections = [s for s in PROFILE_SECTIONS if optional.get(s, True) is not None]
    return Report(title or _title(profile.meta), data, sections)


def session_report(
    store: Store,
    session_id: int,
    kernels: bool = True,
    prune: PruneOptions | None = None,
    bench_run: str = "latest",
) -> Report:
    """The report of a stored session, with the store's latest kernel-suite run unless
    ``kernels`` is False."""
    profile = store.load_profile(session_id)
    counters = store.load_counters(session_id)
    allocations = store.load_allocations(session_id)
    report = profile_report(profile, counters, prune, allocations=allocations)
    if kernels:
        report.data.update(kernels_sections(store, bench_run))
        report.sections += list(KERNEL_SECTIONS)
    return report


def _title(meta: Mapping[str, Any]) -> str:
    name = str(meta.get("name") or meta.get("target") or "profile")
    sid = meta.get("session_id")
    return f"sovprof report — {name}" + (f" (session {sid})" if sid is not None else "")

"""The self-contained HTML report: data from a session, one file from a template.

Public API::

    session_report(store, session_id, kernels=True) -> Report   # a stored session
    profile_report(profile, counters=None, allocations=None) -> Report   # any Profile
    write_html(path, title, data, sections) -> int               # any report data
    render_html(title, data, sections) -> str
    read_report(html) -> dict                                    # decode a written report

``write_html`` is generic: other reports (a comparison) pass their own ``data`` and
``sections`` from :data:`SECTIONS` (see :mod:`app.core.report.document`).
"""

from __future__ import annotations

from app.core.report.allocations_data import allocations_data
from app.core.report.build import Report, profile_report, session_report
from app.core.report.document import SECTIONS, ReportTemplateError, render_html, write_html
from app.core.report.kernels_data import kernels_sections, selector_data
from app.core.report.packing import StringTable, pack, read_report, unpack
from app.core.report.profile_data import PRUNED, PruneOptions, profile_sections
from app.core.report.waste_data import waste_data

__all__ = [
    "PRUNED",
    "SECTIONS",
    "PruneOptions",
    "Report",
    "ReportTemplateError",
    "StringTable",
    "allocations_data",
    "kernels_sections",
    "pack",
    "profile_report",
    "profile_sections",
    "read_report",
    "render_html",
    "selector_data",
    "session_report",
    "unpack",
    "waste_data",
    "write_html",
]

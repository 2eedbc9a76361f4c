"""The HTML report as an export format (``sovprof export --format html``, GUI Export)."""

from __future__ import annotations

from app.core.formats.base import Renderer
from app.core.model.profile import Profile


class HtmlRenderer(Renderer):
    """A profile's self-contained HTML report (flame graph, top functions, timeline)."""

    name = "html"
    extension = ".html"
    description = "self-contained HTML report (interactive flame graph, tables, timeline)"
    lossy = "large profiles are pruned: paths under 0.001 % of the samples fold into '(pruned)'"

    def render(self, profile: Profile) -> bytes:
        # imported here: the report package imports the format tables (a cycle otherwise)
        from app.core.report.build import profile_report
        from app.core.report.document import render_html

        report = profile_report(profile)
        return render_html(report.title, report.data, report.sections).encode("utf-8")

    def warnings(self, profile: Profile) -> list[str]:
        return []

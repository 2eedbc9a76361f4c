"""The report's "Waste" section: every sample as compute, waiting or transport.

The numbers are :func:`app.core.waste.waste_breakdown` of the whole profile (overall,
per thread, and the frames that put the most samples in each class), with every name
from the profile going through the report's :class:`StringTable`.  The rules are the
built-in table plus ``$SOVPROF_HOME/waste-rules.toml`` when there is one, as in the app;
a broken user file falls back to the built-ins and says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.core.model.profile import Profile
from app.core.report.packing import StringTable
from app.core.waste import (
    BUILTIN_RULES,
    CLASSES,
    COMPUTE,
    TRANSPORT,
    WAITING,
    WasteClassifier,
    WasteRule,
    WasteRulesError,
    rules_for,
    waste_breakdown,
)

CLASS_COLORS = {COMPUTE: "#4c78a8", WAITING: "#f58518", TRANSPORT: "#b279a2"}
"""The app's waste-bar colours (app.ui.waste_bar.COLORS) as CSS."""
CLASS_MEANING = {
    COMPUTE: "on-CPU work",
    WAITING: "sleeps, locks, queues, I/O, GIL",
    TRANSPORT: "copies, conversions, serialization",
}
TOP_CAUSES = 8


def report_rules() -> tuple[tuple[WasteRule, ...], str]:
    """The rules the app uses, and a problem with the user's rule file ('' when none)."""
    try:
        return rules_for(None), ""
    except WasteRulesError as exc:
        return BUILTIN_RULES, f"{exc}; the built-in rules were used"


def waste_data(
    profile: Profile,
    strings: StringTable,
    rules: Sequence[WasteRule] | None = None,
    *,
    top: int = TOP_CAUSES,
) -> dict[str, Any]:
    """Shares overall and per thread, and the top frames per class (names as indices)."""
    problem = ""
    if rules is None:
        rules, problem = report_rules()
    doc = waste_breakdown(profile, WasteClassifier(rules), top=top).as_dict()
    raw_options = profile.meta.get("options")
    options: dict[str, Any] = raw_options if isinstance(raw_options, dict) else {}
    return {
        "classes": [
            {"name": c, "color": CLASS_COLORS[c], "meaning": CLASS_MEANING[c]} for c in CLASSES
        ],
        "samples": doc["samples"],
        "counts": doc["counts"],
        "shares": doc["shares"],
        "threads": [
            {
                "thread": t["thread"],
                "label": strings(t["label"]),
                "samples": t["samples"],
                "counts": t["counts"],
            }
            for t in doc["threads"]
        ],
        "causes": {
            c: [
                {
                    "function": strings(k["function"]),
                    "file": strings(k["file"]),
                    "line": k["line"],
                    "samples": k["samples"],
                    "why": strings(k["why"]),
                }
                for k in doc["causes"][c]
            ]
            for c in CLASSES
        },
        "rules": len(rules),
        "user_rules": max(0, len(rules) - len(BUILTIN_RULES)),
        "problem": problem,
        "idle": bool(options.get("idle")),
        "native": bool(options.get("native")),
    }

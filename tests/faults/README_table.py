"""Print the README's "What it survives" table from the fault tests' docstrings.

Every test in ``tests/faults/test_faults_*.py`` starts its docstring with one sentence
"FAULT → OUTCOME"; this prints them as a markdown table "fault | outcome", in the order
of the files below and of the tests in each file.  A test marked ``xfail`` is listed
with its reason as a known bug.

    python tests/faults/README_table.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ("target", "recorder", "store", "import", "stacks", "kernels")
ARROW = "→"


def _files() -> list[Path]:
    found = sorted(HERE.glob("test_faults_*.py"))
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found, key=lambda p: (rank.get(p.stem.removeprefix("test_faults_"), 99), p))


def _xfail_reason(fn: ast.FunctionDef) -> str | None:
    for deco in fn.decorator_list:
        call = deco if isinstance(deco, ast.Call) else None
        target = call.func if call else deco
        if isinstance(target, ast.Attribute) and target.attr == "xfail":
            for kw in call.keywords if call else []:
                if kw.arg == "reason" and isinstance(kw.value, ast.Constant):
                    return str(kw.value.value)
            return "known bug"
    return None


def rows() -> list[tuple[str, str, str]]:
    """(fault, outcome, test id) for every fault test, in table order."""
    out = []
    for path in _files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            doc = ast.get_docstring(node) or ""
            first = " ".join(doc.split("\n\n", 1)[0].split())
            if ARROW not in first:
                where = f"{path.name}::{node.name}"
                raise SystemExit(f"{where}: docstring lacks 'FAULT {ARROW} OUTCOME'")
            fault, outcome = (part.strip() for part in first.split(ARROW, 1))
            reason = _xfail_reason(node)
            if reason:
                outcome = f"**known bug, not yet fixed**: {reason} (expected: {outcome})"
            out.append((fault, outcome[:1].upper() + outcome[1:], f"{path.name}::{node.name}"))
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main() -> int:
    print("| fault | outcome |")
    print("|---|---|")
    for fault, outcome, _ in rows():
        print(f"| {_cell(fault)} | {_cell(outcome)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

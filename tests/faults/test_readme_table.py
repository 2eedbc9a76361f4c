"""The README's fault table is generated from the fault tests: keep them describable."""

from __future__ import annotations

import README_table


def test_every_fault_test_states_fault_and_outcome() -> None:
    rows = README_table.rows()  # exits on a docstring without "FAULT → OUTCOME"
    assert len(rows) >= 20
    for fault, outcome, where in rows:
        assert fault and outcome, where
        assert "\n" not in fault + outcome

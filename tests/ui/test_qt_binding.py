"""The Qt binding we run on must not corrupt CPython's reference counts.

PySide6 6.12.0 on Python < 3.12 drops a reference to None on every call that
returns nothing, so a long live session aborts with "none_dealloc".  The
dependency excludes it; this test catches any binding with the same bug.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QRectF


def test_void_calls_keep_none_refcount() -> None:
    rect = QRectF()
    before = sys.getrefcount(None)
    for _ in range(1000):
        rect.setX(1.0)
    assert abs(sys.getrefcount(None) - before) < 50

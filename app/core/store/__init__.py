"""The session store: recorded and imported profiles in one SQLite file."""

from __future__ import annotations

from app.core.store.errors import StoreError
from app.core.store.paths import default_store_path
from app.core.store.schema import APPLICATION_ID, SCHEMA_VERSION
from app.core.store.session import STATUSES, SessionInfo
from app.core.store.store import Store

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "STATUSES",
    "SessionInfo",
    "Store",
    "StoreError",
    "default_store_path",
]

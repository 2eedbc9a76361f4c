"""Where the session store lives by default."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "SOVPROF_HOME"
STORE_FILENAME = "sessions.sqlite"


def default_store_path() -> Path:
    """``$SOVPROF_HOME/sessions.sqlite``, else the user data directory's ``sessions.sqlite``."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home).expanduser() / STORE_FILENAME
    return Path(platformdirs.user_data_dir("sovprof", appauthor=False)) / STORE_FILENAME

"""Errors the CLI turns into one line on stderr and an exit status."""

from __future__ import annotations


class CliError(Exception):
    """A user-facing failure: printed as ``sovprof: error: MESSAGE``, exit 1."""

    exit_code = 1


class UsageError(CliError):
    exit_code = 2

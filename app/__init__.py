"""Sovereign Profiler (sovprof): a desktop profiler for Python performance work."""

__version__ = "0.1.0"

"""Counters of the sampled process: perf_event, psutil, GPU, syscalls (Qt-free)."""

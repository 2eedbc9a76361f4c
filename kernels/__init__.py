"""Compute-kernel suites across the tiers this machine really has.

``kernels`` never imports ``app`` and never imports Qt. numba, pyopencl and dask are
imported lazily, inside the worker process that runs a tier, because numba reads its
target (CPU name, features, vectorization) once per process.
"""

from __future__ import annotations

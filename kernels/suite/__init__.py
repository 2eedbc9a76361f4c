"""The bundled kernels, one module each, and the registry that finds them.

Users (and the tests) can add their own kernel modules with ``SOVPROF_EXTRA_KERNELS``:
a comma-separated list of importable module names or ``.py`` file paths, each defining
``SPEC: KernelSpec``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from functools import cache
from types import ModuleType

from kernels.spec import KernelSpec

BUILTIN = ("saxpy", "dot", "sum", "matmul", "softmax", "stencil", "histogram")
EXTRA_ENV = "SOVPROF_EXTRA_KERNELS"


class UnknownKernel(KeyError):
    def __str__(self) -> str:
        return f"unknown kernel {self.args[0]!r} (known: {', '.join(names())})"


def _load(ref: str) -> ModuleType:
    if ref.endswith(".py") or os.sep in ref:
        name = "sovprof_extra_" + os.path.splitext(os.path.basename(ref))[0]
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, ref)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load kernel module {ref}")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod
    return importlib.import_module(ref)


@cache
def _registry(extra: str) -> dict[str, KernelSpec]:
    out: dict[str, KernelSpec] = {}
    refs = [f"kernels.suite.{n}" for n in BUILTIN]
    refs += [r.strip() for r in extra.split(",") if r.strip()]
    for ref in refs:
        spec = getattr(_load(ref), "SPEC", None)
        if not isinstance(spec, KernelSpec):
            raise ImportError(f"kernel module {ref} has no SPEC: KernelSpec")
        out[spec.name] = spec
    return out


def registry() -> dict[str, KernelSpec]:
    return _registry(os.environ.get(EXTRA_ENV, ""))


def names() -> list[str]:
    return list(registry())


def get(name: str) -> KernelSpec:
    try:
        return registry()[name]
    except KeyError:
        raise UnknownKernel(name) from None

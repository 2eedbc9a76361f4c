"""Import what the real py-spy writes while it samples a real, hostile-named target."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from app.core.formats import RENDERERS, import_bytes, import_file
from formats_helpers import sample_multiset, speedscope_schema, window_multiset

SCHEMA = speedscope_schema()


ROOT = Path(__file__).resolve().parents[3]
TARGET = ROOT / "tests" / "targets" / "weird_names.py"
PYSPY = Path(sys.executable).with_name("py-spy")
RATE = 200


def target_names() -> tuple[str, str, str]:
    """FUNC_NAME, FILE_NAME and THREAD_NAME as the target defines them."""
    spec = importlib.util.spec_from_file_location("weird_names_target", TARGET)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines constants only; main() is guarded
    return module.FUNC_NAME, module.FILE_NAME, module.THREAD_NAME


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """One py-spy speedscope and one py-spy raw (--threads) recording, made side by side.

    py-spy attaches once the target says "ready": a thread that py-spy samples
    before ``threading`` has registered it keeps an empty name for the whole
    recording.
    """
    tmp = tmp_path_factory.mktemp("pyspy")
    outputs = {"speedscope": tmp / "rec.json", "raw": tmp / "rec.txt"}
    extra = {"speedscope": [], "raw": ["--threads"]}
    targets: list[subprocess.Popen[str]] = []
    try:
        spies = {}
        for fmt, out in outputs.items():
            workdir = tmp / fmt
            workdir.mkdir()
            target = subprocess.Popen(
                [sys.executable, str(TARGET), "3.0", str(workdir)],
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
            targets.append(target)
            assert target.stdout is not None and target.stdout.readline().strip() == "ready"
            cmd = [str(PYSPY), "record", "--pid", str(target.pid), "-r", str(RATE)]
            cmd += ["--duration", "1", "--format", fmt, *extra[fmt], "-o", str(out)]
            spies[fmt] = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        for fmt, spy in spies.items():
            _, err = spy.communicate(timeout=60)
            if spy.returncode != 0:
                if "ermission" in err or "ptrace" in err:
                    pytest.skip(f"py-spy may not attach here: {err.strip().splitlines()[-1]}")
                pytest.fail(f"py-spy record --format {fmt} failed ({spy.returncode}): {err}")
        yield outputs
    finally:
        for target in targets:
            target.kill()
            target.wait()


def test_real_pyspy_speedscope_imports_and_round_trips(recordings: dict[str, Path]) -> None:
    func, file, thread = target_names()
    p = import_file(recordings["speedscope"])
    assert p.meta["exporter"].startswith("py-spy@")
    assert p.rate_hz == RATE
    assert thread in {t.name for t in p.threads}
    hot = [f for f in p.frames.frames if f.function == func]
    assert hot and all(f.file.endswith(file) for f in hot)
    assert p.total_samples >= 50
    (window,) = p.windows
    assert 0.2 < window.duration < 5

    exported = RENDERERS["speedscope"].render(p)
    doc = json.loads(exported)
    jsonschema.Draft7Validator(SCHEMA).validate(doc)
    back = import_bytes(exported, "export.json")
    assert sample_multiset(back) == sample_multiset(p)
    assert window_multiset(back) == window_multiset(p)


def test_real_pyspy_raw_imports_with_names_rejoined(recordings: dict[str, Path]) -> None:
    func, file, thread = target_names()
    data = recordings["raw"].read_bytes()
    p = import_file(recordings["raw"])
    assert p.meta["source_format"] == "pyspy-raw"
    assert p.total_samples == sum(int(line.rsplit(b" ", 1)[1]) for line in data.splitlines())
    assert thread in {t.name for t in p.threads}
    hot = [f for f in p.frames.frames if f.function == func]
    assert hot and all(f.file.endswith(file) for f in hot)
    hot_thread = next(i for i, t in enumerate(p.threads) if t.name == thread)
    assert p.thread_totals()[hot_thread] >= 50

"""Packaging: the wheel and sdist, the desktop entry, AppStream metadata, icons, and
the PyInstaller app (built and run for real in the slow test)."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from app import __version__
from app.resources import ICON_SIZES, icon_path, resources_dir
from sovprof_testing import ROOT

PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / "sovprof.desktop"
METAINFO = PACKAGING / "io.github.sovprof.Sovprof.metainfo.xml"
IN_CI = bool(os.environ.get("CI"))
_IGNORED = shutil.ignore_patterns(
    ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "*.pyc"
)


def _tool(name: str, package: str) -> str:
    """A system tool; skipped outside CI when it is not installed, a failure in CI."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        if IN_CI:
            pytest.fail(f"{name} is missing in CI (apt-get install {package})")
        pytest.skip(f"{name} not installed (apt-get install {package})")
    return found


def _repo_report_assets() -> list[str]:
    report = ROOT / "resources" / "report"
    return sorted(p.relative_to(report).as_posix() for p in report.rglob("*") if p.is_file())


# -- wheel and sdist -------------------------------------------------------------


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``python -m build`` on a copy of the checkout (it writes beside the sources)."""
    pytest.importorskip("build", reason="pip install build (in the test extra)")
    base = tmp_path_factory.mktemp("dists")
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=_IGNORED)
    out = base / "dist"
    res = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    (wheel,) = out.glob("sovprof-*.whl")
    (sdist,) = out.glob("sovprof-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.mark.slow
def test_wheel_carries_icons_and_report_assets_but_not_screenshots(
    dists: dict[str, Path],
) -> None:
    names = set(zipfile.ZipFile(dists["wheel"]).namelist())
    res = "app/_resources/"
    assert res + "icons/sovprof.svg" in names
    for size in ICON_SIZES:
        assert f"{res}icons/hicolor/{size}x{size}/apps/sovprof.png" in names
    assets = _repo_report_assets()
    assert all(res + "report/" + a in names for a in assets), assets
    assert not [n for n in names if "screenshots" in n]
    assert "app/resources.py" in names and "app/core/privileges.py" in names
    assert "app/demo/workload.py" in names and "kernels/opencl/saxpy.cl" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "sovprof = app.cli.main:main" in zipfile.ZipFile(dists["wheel"]).read(entry).decode()


@pytest.mark.slow
def test_sdist_is_the_whole_project(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for shot in (ROOT / "resources" / "screenshots").glob("*.png"):
        assert f"resources/screenshots/{shot.name}" in names
    for path in (
        "setup.py",
        "pyproject.toml",
        "MANIFEST.in",
        "resources/icons/sovprof.svg",
        "packaging/sovprof.spec",
        "packaging/sovprof_frozen.py",
        "packaging/render_icons.py",
        "packaging/sovprof.desktop",
        "packaging/io.github.sovprof.Sovprof.metainfo.xml",
        "tests/packaging/test_packaging.py",
    ):
        assert path in names, path


@pytest.mark.slow
def test_an_installed_wheel_finds_its_resources(dists: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    subprocess.run(
        [*pip, "--target", str(target), str(dists["wheel"])],
        check=True,
        timeout=300,
    )
    code = (
        "import app.resources as r; "
        "print(r.resources_dir()); print(r.icon_path(48).is_file()); print(r.icon_path().is_file())"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SOVPROF_RESOURCES")}
    env["PYTHONPATH"] = str(target)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    where, png, svg = out.stdout.split()
    assert Path(where) == target / "app" / "_resources"
    assert png == svg == "True"


def test_resources_are_found_in_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOVPROF_RESOURCES", raising=False)
    assert resources_dir() == ROOT / "resources"
    assert icon_path().is_file() and icon_path(16).is_file()
    monkeypatch.setenv("SOVPROF_RESOURCES", "/elsewhere")
    assert resources_dir() == Path("/elsewhere")


def _pyproject() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    return tomllib.loads((ROOT / "pyproject.toml").read_text())  # type: ignore[no-any-return]


def test_build_configuration_maps_resources_into_the_app_package() -> None:
    cfg = _pyproject()["tool"]["setuptools"]
    assert cfg["package-dir"] == {"app._resources": "resources"}
    patterns = cfg["package-data"]["app._resources"]
    assert not any("screenshots" in p for p in patterns)


# -- desktop entry, AppStream, icons -----------------------------------------------


def test_desktop_entry() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DESKTOP, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "Sovereign Profiler"
    assert entry["Categories"] == "Development;Profiling;"
    assert entry["Icon"] == "sovprof" == icon_path().stem
    scripts = _pyproject()["project"]["scripts"]
    assert entry["Exec"].split()[0] in scripts and entry["TryExec"] in scripts
    assert entry["Terminal"] == "false"


def test_desktop_entry_validates() -> None:
    tool = _tool("desktop-file-validate", "desktop-file-utils")
    res = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True)
    assert res.returncode == 0 and not res.stdout.strip(), res.stdout + res.stderr


def test_metainfo_has_the_required_elements() -> None:
    root = ElementTree.parse(METAINFO).getroot()  # well-formed, or this raises
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == METAINFO.name.removesuffix(".metainfo.xml")
    for tag in ("name", "summary", "metadata_license", "project_license"):
        assert (root.findtext(tag) or "").strip(), tag
    assert root.find("description/p") is not None
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP.name
    assert root.findtext("provides/binary") == "sovprof"
    assert root.findtext("icon") == "sovprof"
    assert root.find("content_rating") is not None
    release = root.find("releases/release")
    assert release is not None and release.get("version") == __version__
    images = [i.text or "" for i in root.findall("screenshots/screenshot/image")]
    assert images and all(i.startswith("https://") for i in images)
    for url in images:  # every screenshot is a file of this repository
        rel = url.split("/main/", 1)[1]
        assert rel.startswith("resources/screenshots/") and (ROOT / rel).is_file(), url
    shots = root.findall("screenshots/screenshot")
    assert [s.get("type") for s in shots].count("default") == 1


def test_metainfo_validates_alone_and_installed_with_the_desktop_entry(tmp_path: Path) -> None:
    tool = _tool("appstreamcli", "appstream")
    res = subprocess.run([tool, "validate", "--no-net", str(METAINFO)], capture_output=True)
    assert res.returncode == 0, res.stdout.decode() + res.stderr.decode()
    share = tmp_path / "usr" / "share"  # the layout the README tells users to install
    for src, dest in (
        (DESKTOP, share / "applications" / DESKTOP.name),
        (METAINFO, share / "metainfo" / METAINFO.name),
        (icon_path(), share / "icons" / "hicolor" / "scalable" / "apps" / "sovprof.svg"),
    ):
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dest)
    res = subprocess.run([tool, "validate-tree", "--no-net", str(tmp_path)], capture_output=True)
    assert res.returncode == 0, res.stdout.decode() + res.stderr.decode()


def test_icons_exist_at_every_size() -> None:
    svg = ElementTree.parse(icon_path()).getroot()
    assert svg.tag.endswith("svg") and svg.get("viewBox") == "0 0 256 256"
    for size in ICON_SIZES:
        head = icon_path(size).read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
        assert struct.unpack(">II", head[16:24]) == (size, size)


def test_pngs_are_rendered_from_the_current_svg() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    res = subprocess.run(
        [sys.executable, str(PACKAGING / "render_icons.py"), "--check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr


# -- the PyInstaller app -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.pyspy
@pytest.mark.timeout(1200)
def test_frozen_app_runs_version_and_a_headless_demo_record(tmp_path: Path) -> None:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("PyInstaller is missing in CI (pip install pyinstaller)")
        pytest.skip("PyInstaller not installed (pip install pyinstaller)")
    pyinstaller = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    dirs = ["--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "work")]
    build = subprocess.run(
        [*pyinstaller, *dirs, str(PACKAGING / "sovprof.spec")],
        capture_output=True,
        text=True,
        timeout=1100,
        cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    app_dir = tmp_path / "dist" / "sovprof"
    exe = app_dir / "sovprof"
    assert os.access(exe, os.X_OK)
    assert os.access(app_dir / "_internal" / "py-spy", os.X_OK)
    assert (app_dir / "_internal" / "app" / "_resources" / "icons" / "sovprof.svg").is_file()
    assert not (app_dir / "_internal" / "numba").exists()  # the kernel tiers are left out

    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SOVPROF"))}
    env["SOVPROF_HOME"] = str(home)
    path_dirs = env.get("PATH", "").split(os.pathsep)
    env["PATH"] = os.pathsep.join(p for p in path_dirs if ".venv" not in p)

    def frozen(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(exe), *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )

    version = frozen("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"sovprof {__version__}"

    rec = frozen("record", "--demo", "--duration", "2", "--json")
    assert rec.returncode == 0, rec.stderr
    doc = json.loads(rec.stdout)
    assert doc["status"] == "complete" and doc["target"] == "sovprof demo workload"
    assert doc["windows"] >= 2 and doc["samples"] >= 100
    demo = [t for t in doc["top"] if t["file"].endswith("app/demo/workload.py")]
    assert demo and max(demo, key=lambda t: t["self_samples"])["function"] == "parse_records"

    bundled = app_dir / "_internal" / "py-spy"  # the one it used: without it, a clear error
    bundled.rename(bundled.with_name("py-spy.away"))
    try:
        missing = frozen("record", "--demo", "--duration", "1", "--json")
    finally:
        bundled.with_name("py-spy.away").rename(bundled)
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.startswith("sovprof: error: py-spy")

    tiers = frozen("tiers", "--json")
    assert tiers.returncode == 0, tiers.stderr
    assert "pip install sovprof" in tiers.stderr
    by_id = {t["id"]: t for t in json.loads(tiers.stdout)["tiers"]}
    assert by_id["numpy"]["available"] and not by_id["scalar"]["available"]

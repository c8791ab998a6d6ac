"""The CLI's on-disk cache keeps the venv's site-packages listings beside a project's scans: a warm run reads no
METADATA or RECORD while nothing was installed, and an install (a new folder mtime) is read again. Real venv,
real wheels, the engine as the CLI drives it (a new process is a new ``DiskScanCache`` over empty memory)."""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from pathlib import Path

from support.wheels import build_wheel, make_venv, pip_install
from venvsense import caches
from venvsense.check import ProjectReport, check_project
from venvsense.imports import DiskScanCache
from venvsense.imports.diskcache import PERSISTENT_MIN_FILES
from venvsense.model import project_at


def _run(root: Path, cache_folder: Path) -> tuple[ProjectReport, set[str]]:
    """One CLI-like run (empty memory, a new disk cache object): the report, and the functions it called."""
    caches.clear_all()
    cache = DiskScanCache(cache_folder)
    cache.load(root, None)
    profiler = cProfile.Profile()
    report = profiler.runcall(check_project, project_at(root), disk_cache=cache)
    return report, {name for _, _, name in pstats.Stats(profiler).stats}  # type: ignore[attr-defined]


def _codes(report: ProjectReport) -> list[tuple[str, str, int]]:
    return [(f.code, f.file.name, f.range.start.line) for f in report.findings]


def test_a_warm_run_reads_no_metadata_until_something_is_installed(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "alpha", "1.0")
    build_wheel(wheels, "beta", "2.0")
    root = tmp_path / "shop"
    (root / "shop").mkdir(parents=True)
    (root / "requirements.txt").write_text("alpha==1.0\nbeta\n")
    for index in range(PERSISTENT_MIN_FILES + 2):
        (root / "shop" / f"m{index}.py").write_text("import alpha\nimport beta\n")
    venv = make_venv(root / ".venv")
    pip_install(venv, "alpha==1.0", find_links=wheels)
    site = next(venv.glob("lib/python3*/site-packages"))
    # the venv and the modules as made a while ago: a listing or a scan newer than the racy window (a folder that
    # may change again within its mtime's granularity) is not written
    past = time.time_ns() - 10_000_000_000
    _age(site, past)
    for path in root.rglob("*.py"):
        _age(path, past)
    cache_folder = tmp_path / "cache"

    cold, called = _run(root, cache_folder)
    assert "read_dist_info" in called
    assert ("VS201", "requirements.txt", 1) in _codes(cold)  # beta is not installed

    warm, called = _run(root, cache_folder)
    assert "read_dist_info" not in called
    assert _codes(warm) == _codes(cold)

    pip_install(venv, "beta", find_links=wheels)  # a new dist-info: the folder's mtime changes
    after, called = _run(root, cache_folder)
    assert "read_dist_info" in called
    assert "beta" in after.installed.distributions  # type: ignore[union-attr]
    assert ("VS201", "requirements.txt", 1) not in _codes(after)


def _age(path: Path, when_ns: int) -> None:
    os.utime(path, ns=(when_ns, when_ns))

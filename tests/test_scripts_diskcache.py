"""Which files are PEP 723 scripts is found while the scan has a file's bytes at hand, and the CLI's on-disk cache
keeps it (the script's text with its scan): a warm run reads no file to find the scripts, and a file changed on
disk (a new mtime, even at the same size) is read again. Real files, the engine as the CLI drives it (a new
process is a new ``DiskScanCache`` over empty memory)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from venvsense import caches
from venvsense.check import ProjectReport, check_project
from venvsense.imports import DiskScanCache
from venvsense.imports.diskcache import PERSISTENT_MIN_FILES
from venvsense.model import project_at

SCRIPT = '''# /// script
# dependencies = ["tinylib>=1"]
# ///
import tinylib
'''
PLAIN = "# no block here, nothing but padding\nimport tinylib\n"


def _same_size(text: str, size: int) -> str:
    assert len(text.encode()) <= size
    return text + "#" * (size - len(text.encode()) - 1) + "\n"


def _run(root: Path, cache_folder: Path) -> ProjectReport:
    """One CLI-like run: empty memory, a new disk cache object loaded from ``cache_folder``, saved after."""
    caches.clear_all()
    cache = DiskScanCache(cache_folder)
    cache.load(root, None)
    return check_project(project_at(root), disk_cache=cache)


def _project(root: Path) -> None:
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1"\ndependencies = []\n')
    for index in range(PERSISTENT_MIN_FILES + 2):
        (root / "pkg" / f"m{index}.py").write_text("import os\n")


def _set_mtime(path: Path, when_ns: int) -> None:
    os.utime(path, ns=(when_ns, when_ns))


def _age_all(root: Path, when_ns: int) -> None:
    # made a while ago: a scan newer than the racy window (a file that may change again within its mtime's
    # granularity) is not written to the on-disk cache
    for path in root.rglob("*.py"):
        _set_mtime(path, when_ns)


def _scripts(report: ProjectReport) -> list[str]:
    return [script.name for script in report.scripts]


def test_a_warm_run_finds_a_scripts_block_without_reading_the_file(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    _project(root)
    tool = root / "tool.py"
    tool.write_text(SCRIPT)
    past = time.time_ns() - 10_000_000_000
    _age_all(root, past)
    cache_folder = tmp_path / "cache"

    cold = _run(root, cache_folder)
    assert _scripts(cold) == ["tool.py"]
    assert [d.name for d in cold.scripts[0].manifest.declarations] == ["tinylib"]

    # the bytes swapped behind the cache's back (same size, same mtime): what the warm run says of the script
    # can only come from the cache, not from the file
    tool.write_text(_same_size(PLAIN, len(SCRIPT.encode())))
    _set_mtime(tool, past)
    warm = _run(root, cache_folder)
    assert _scripts(warm) == ["tool.py"]
    assert [d.name for d in warm.scripts[0].manifest.declarations] == ["tinylib"]
    assert warm.scripts[0].opening == cold.scripts[0].opening


def test_a_block_added_at_the_same_size_with_a_new_mtime_is_found(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    _project(root)
    tool = root / "tool.py"
    size = len(SCRIPT.encode()) + 40
    tool.write_text(_same_size(PLAIN, size))
    past = time.time_ns() - 20_000_000_000
    _age_all(root, past)
    cache_folder = tmp_path / "cache"

    assert _scripts(_run(root, cache_folder)) == []
    assert _scripts(_run(root, cache_folder)) == []  # warm, from the cache

    tool.write_text(_same_size(SCRIPT, size))
    assert tool.stat().st_size == size
    _set_mtime(tool, past + 5_000_000_000)
    found = _run(root, cache_folder)
    assert _scripts(found) == ["tool.py"]
    assert [d.name for d in found.scripts[0].manifest.declarations] == ["tinylib"]
    assert _scripts(_run(root, cache_folder)) == ["tool.py"]  # and the cache now says so

    tool.write_text(_same_size(PLAIN, size))  # the block taken out again, at the same size
    _set_mtime(tool, past + 6_000_000_000)
    assert _scripts(_run(root, cache_folder)) == []
    assert _scripts(_run(root, cache_folder)) == []


def test_a_file_mentioning_the_marker_that_is_no_script_stays_no_script(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    _project(root)
    # the marker inside a string: no block; and a non-UTF-8 file with the marker: unreadable, no script
    (root / "docs.py").write_text('EXAMPLE = """\n# /// script\n"""\n')
    (root / "latin.py").write_bytes(b"# /// script\n# caf\xe9\n# ///\n")
    _age_all(root, time.time_ns() - 10_000_000_000)
    cache_folder = tmp_path / "cache"
    cold = _run(root, cache_folder)
    warm = _run(root, cache_folder)
    assert _scripts(cold) == _scripts(warm)
    assert "latin.py" not in _scripts(warm)
    assert [(f.code, f.file.name, f.range) for f in warm.findings] == [
        (f.code, f.file.name, f.range) for f in cold.findings]

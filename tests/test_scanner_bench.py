"""``benchmarks/bench_scan.py``: the old-against-new check of the scanner finds a differing file, and passes
when both copies agree (on a tree the test writes)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench_scan.py"


def _tree(root: Path) -> Path:
    tree = root / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "__init__.py").write_text("import os\nfrom .mod import (\n    a,\n    b,\n)\n")
    (tree / "pkg" / "mod.py").write_text(
        "import sys\n\n\ndef f():\n    try:\n        import json\n    except ImportError:\n        json = None\n"
    )
    (tree / "pkg" / "stub.pyi").write_text("from typing import Any\n")
    (tree / ".venv" / "lib").mkdir(parents=True)
    (tree / ".venv" / "lib" / "site.py").write_text("import re\n")
    return tree


def _run(tree: Path, old: Path, new: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(BENCH), "--check", "--check-root", str(tree), "--rounds", "1",
               "--old", str(old), "--new", str(new), str(tree)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_the_check_passes_when_both_copies_agree(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    done = _run(tree, ROOT / "server", ROOT / "server")
    assert done.returncode == 0, done.stderr
    assert "checked 4 files: 0 differ" in done.stdout  # the venv's file too, in the check
    assert "tree: 2 files" in done.stdout  # not in the timed scan


def test_the_check_fails_on_a_copy_that_scans_differently(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    other = tmp_path / "other"
    shutil.copytree(ROOT / "server" / "venvsense", other / "venvsense",
                    ignore=shutil.ignore_patterns("__pycache__"))
    scanner = other / "venvsense" / "imports" / "scanner.py"
    scanner.write_text(scanner.read_text() + "\n\ndef scan_bytes(data: bytes) -> ScanResult:\n    return NO_IMPORTS\n")
    done = _run(tree, other, ROOT / "server")
    assert done.returncode == 1, done.stderr
    assert "checked 4 files: 4 differ" in done.stdout


def test_in_process_loads_both_copies_under_names_of_their_own(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    other = tmp_path / "other"
    shutil.copytree(ROOT / "server" / "venvsense", other / "venvsense",
                    ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, str(BENCH), "--in-process", "--rounds", "2", "--old", str(other),
               "--new", str(ROOT / "server"), str(tree), str(tmp_path / "absent")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "tree (in one process): 2 files; CPU s (median of 2)" in done.stdout
    assert "absent: absent, skipped" in done.stdout
    # the copies were renamed, not imported as `venvsense` (the one this checkout has on its path)
    assert "venvsense_old" not in done.stderr and "Traceback" not in done.stderr

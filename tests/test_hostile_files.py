"""Hostile files (issue 12, items 5 and 6): every read has a cap suited to what it reads. A sparse 3 GB RECORD or
module, a manifest linked to /dev/zero: the check ends, in bounded memory, and says what it skipped (a finding for
the project's own files, a log line for a venv's internals)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from support.projects import write
from venvsense.check import check_project
from venvsense.environment.metadata import LIMITS
from venvsense.model import project_at
from venvsense.text import UnreadableFile, read_text

GB = 1 << 30


def sparse(path: Path, size: int, head: bytes = b"") -> None:
    with open(path, "wb") as handle:
        handle.write(head)
        handle.truncate(size)


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python*/site-packages"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write(tmp_path / "proj", {"requirements.txt": "big==1.0\n", "main.py": "import big\n"})
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    return root


def test_a_huge_record_and_top_level_are_read_only_up_to_their_caps(project: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    info = site_packages(project / ".venv") / "big-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: big\nVersion: 1.0\n\n", encoding="utf-8")
    sparse(info / "RECORD", 3 * GB, b"big/__init__.py,,\n")
    sparse(info / "top_level.txt", GB, b"big\n")
    tracemalloc.start()
    try:
        with caplog.at_level(logging.WARNING, logger="venvsense"):
            report = check_project(project_at(project))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024, f"peak {peak / 2**20:.0f} MB"
    assert report.installed is not None and "big" in report.installed.distributions
    assert report.installed.distributions["big"].modules == ("big",)
    assert not [f for f in report.findings if f.code in ("VS201", "VS301", "VS302")]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"top_level.txt is too large ({GB:,} bytes): only its first {LIMITS['top_level.txt'] >> 20} MB" in logged
    assert "module names after the cut skipped" in logged


def test_a_manifest_linked_to_dev_zero_is_a_finding_not_a_hang(project: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    os.symlink("/dev/zero", project / "pyproject.toml")
    os.symlink("/dev/zero", project / ".python-version")
    os.symlink("/dev/zero", project / ".gitignore")
    report = check_project(project_at(project))  # ends: nothing read /dev/zero to its (missing) end
    assert report.installed is not None
    with pytest.raises(UnreadableFile, match="is not a regular file"):
        read_text(project / "pyproject.toml")  # what every manifest reader reads with


def test_a_huge_module_is_skipped_with_its_size(project: Path) -> None:
    sparse(project / "generated.py", 3 * GB, b"import big\n")
    tracemalloc.start()
    try:
        report = check_project(project_at(project))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024, f"peak {peak / 2**20:.0f} MB"
    assert report.usage is not None

"""Hostile sizes (issue 12, item 9): a 20 MB requirements file of 700,000 lines is read only up to the caps (16 MB,
20,000 lines), shows at most 1,000 findings plus one counting the rest, and its check stays small."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from venvsense.check import PER_FILE, check_project
from venvsense.declarations.requirements.reader import MAX_LINES
from venvsense.model import project_at

LINES = 700_000


def huge_requirements(root: Path) -> Path:
    """``root`` with a venv and a requirements file of 700,000 pins, none installed (30 bytes a line: 21 MB)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "requirements.txt", "w", encoding="ascii") as handle:
        handle.writelines(f"package-number-{i:07d}==1.0.{i % 10}\n" for i in range(LINES))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    return root


@pytest.fixture(scope="module")
def huge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return huge_requirements(tmp_path_factory.mktemp("huge") / "proj")


def test_a_700k_line_requirements_file_is_checked_in_bounded_memory(huge: Path) -> None:
    assert (huge / "requirements.txt").stat().st_size > 20_000_000
    tracemalloc.start()
    try:
        report = check_project(project_at(huge))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 300 * 1024 * 1024, f"peak {peak / 2**20:.0f} MB"
    assert len(report.declarations) <= MAX_LINES
    assert len(report.findings) == PER_FILE + 1
    messages = [f.message for f in report.findings]
    skipped = next(m for m in messages if m.startswith("requirements.txt: "))
    assert "it is too large (20 MB): only its first 16 MB were read" in skipped
    assert f"it has more than {MAX_LINES:,} requirement lines: lines {MAX_LINES + 1:,} to " in skipped
    assert "more findings in this file are not shown (at most 1,000 per file)" in messages[-1]


def test_the_cli_text_output_of_such_a_file_is_capped(huge: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ["VENVSENSE_CACHE_DIR"] = ""
    result = subprocess.run([sys.executable, "-m", "venvsense", "check", str(huge)], capture_output=True, text=True,
                            env=environ, check=False)
    assert result.returncode == 1, result.stderr
    located = [line for line in result.stdout.splitlines() if "requirements.txt:" in line]
    assert len(located) == PER_FILE + 1
    assert "more findings in this file are not shown" in located[-1]


@pytest.mark.parametrize(("written", "stale_size", "limit", "expected"), [
    (b"hello", 5, 10, b"hello"),                       # the common case: the file's size, then EOF
    (b"hello world", 5, 10, b"hello world"),           # it grew since its fstat: read on, up to the limit + 1
    (b"hello world and more", 5, 10, b"hello world"),  # grew past the limit: limit + 1 bytes say "too large"
    (b"abcd", 100, 3, b"abcd"),                        # larger than the limit at fstat time
    (b"abc", 100, 10, b"abc"),                         # shrank since
    (b"", 0, 3, b""),
])
def test_a_capped_read_asks_for_the_file_size_and_still_sees_growth_and_the_cap(
    tmp_path: Path, written: bytes, stale_size: int, limit: int, expected: bytes,
) -> None:
    from venvsense.text import read_capped

    path = tmp_path / "file"
    path.write_bytes(written)
    with open(path, "rb") as handle:
        tracemalloc.start()
        try:
            data = read_capped(handle, stale_size, limit)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert data == expected
    assert peak < 4096  # what was read, not the limit (read(n) allocates n bytes up front)


def test_reading_a_small_file_does_not_allocate_the_text_cap(tmp_path: Path) -> None:
    from venvsense.text import MAX_TEXT_BYTES, read_text

    path = tmp_path / "requirements.txt"
    path.write_text("requests==2.0\n")
    tracemalloc.start()
    try:
        assert read_text(path) == "requests==2.0\n"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MAX_TEXT_BYTES // 1000

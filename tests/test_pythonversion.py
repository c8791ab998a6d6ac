"""pyenv's .python-version: versions in order with their ranges, as pyenv reads the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from venvsense.declarations.pythonversion import PythonVersionFile, read_python_version
from venvsense.text import Range

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def read(tmp_path: Path, text: str) -> PythonVersionFile:
    path = tmp_path / ".python-version"
    path.write_text(text, encoding="utf-8", newline="")
    return read_python_version(path)


def test_single_version_with_its_range(tmp_path):
    result = read(tmp_path, "3.12.2\n")
    assert result.versions == (("3.12.2", Range.of(0, 0, 6)),)
    assert result.findings == () and result.path == tmp_path / ".python-version"


def test_several_versions_in_order_skipping_comments_and_blank_lines(tmp_path):
    text = "# project pythons\n\n3.12\n  pypy3.10-7.3.12  \nsystem\n"
    result = read(tmp_path, text)
    assert [v for v, _ in result.versions] == ["3.12", "pypy3.10-7.3.12", "system"]
    lines = text.split("\n")
    for version, range_ in result.versions:
        line = lines[range_.start.line]
        assert line[range_.start.column:range_.end.column] == version
        assert range_.start.column == line.index(version)


def test_only_the_first_word_of_a_line_counts(tmp_path):
    assert read(tmp_path, "3.11.7 # the CI one\n").versions == (("3.11.7", Range.of(0, 0, 6)),)


def test_crlf_file_and_no_final_newline(tmp_path):
    assert [v for v, _ in read(tmp_path, "3.10\r\n3.11").versions] == ["3.10", "3.11"]


@pytest.mark.parametrize("entry", ["..", "../3.12", "/usr/bin/python3"])
def test_entries_pyenv_ignores_are_vs206_and_not_versions(tmp_path, entry):
    result = read(tmp_path, f"{entry}\n3.12\n")
    assert [v for v, _ in result.versions] == ["3.12"]
    [finding] = result.findings
    assert finding.code == "VS206" and finding.range == Range.of(0, 0, len(entry))


def test_empty_file_has_no_versions_and_no_findings(tmp_path):
    result = read(tmp_path, "")
    assert result.versions == () and result.findings == ()


def test_missing_file_is_one_vs206_at_the_start(tmp_path):
    result = read_python_version(tmp_path / ".python-version")
    [finding] = result.findings
    assert finding.code == "VS206" and "does not exist" in finding.message
    assert finding.range == Range.of(0, 0, 0) and result.versions == ()


def test_binary_file_is_one_vs206(tmp_path):
    path = tmp_path / ".python-version"
    path.write_bytes(b"3.12\x00\x00")
    [finding] = read_python_version(path).findings
    assert "binary" in finding.message


def test_editor_text_is_read_instead_of_the_file(tmp_path):
    path = tmp_path / ".python-version"
    path.write_text("3.10\n", encoding="utf-8")
    assert [v for v, _ in read_python_version(path, "3.13\n").versions] == ["3.13"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_no_text_makes_the_reader_raise_and_ranges_stay_inside(tmp_path, text):
    result = read_python_version(tmp_path / ".python-version", text)
    lines = LINE_BREAK.split(text)
    for range_ in [r for _, r in result.versions] + [f.range for f in result.findings]:
        assert range_.start.line < len(lines)
        assert range_.start.column <= range_.end.column <= len(lines[range_.start.line])

"""setup.cfg reader: install_requires, extras_require and python_requires as setuptools reads them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from venvsense.declarations import Declaration, Manifest
from venvsense.declarations.setupcfg import read_setup_cfg
from venvsense.findings import Severity
from venvsense.text import Position, Range

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def range_of(text: str, needle: str, occurrence: int = 0) -> Range:
    """The range of the ``occurrence``-th ``needle`` (on one line) in ``text``."""
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return Range(Position(line, column), Position(line, column + len(needle)))


def read(tmp_path: Path, text: str) -> Manifest:
    path = tmp_path / "setup.cfg"
    path.write_text(text, encoding="utf-8")
    return read_setup_cfg(path)


def by_name(manifest: Manifest, name: str) -> Declaration:
    [found] = [d for d in manifest.declarations if d.name == name]
    return found


def test_install_requires_lines_are_main_primary_with_their_ranges(tmp_path):
    text = ("[metadata]\nname = x\n\n[options]\ninstall_requires =\n    requests>=2.31\n"
            "    # a comment\n\n    click ; python_version < '3.12'\npackages = find:\n")
    manifest = read(tmp_path, text)
    assert [d.name for d in manifest.declarations] == ["requests", "click"]
    requests = by_name(manifest, "requests")
    assert (requests.group, requests.primary, requests.declaration_set) == ("main", True, "setup.cfg")
    assert requests.range == range_of(text, "requests>=2.31")
    assert by_name(manifest, "click").range == range_of(text, "click ; python_version < '3.12'")
    assert by_name(manifest, "click").marker == 'python_version < "3.12"'
    assert manifest.files == [tmp_path / "setup.cfg"] and manifest.findings == []


def test_one_line_value_is_split_at_semicolons(tmp_path):
    text = "[options]\ninstall_requires = requests>=2; click\n"
    manifest = read(tmp_path, text)
    assert [(d.name, d.range) for d in manifest.declarations] == [
        ("requests", range_of(text, "requests>=2")), ("click", range_of(text, "click"))]


def test_value_starting_on_the_key_line_continues_on_indented_lines(tmp_path):
    text = "[options]\ninstall_requires = attrs\n  cattrs\n"
    manifest = read(tmp_path, text)
    assert [(d.name, d.range) for d in manifest.declarations] == [
        ("attrs", range_of(text, "attrs")), ("cattrs", range_of(text, "cattrs"))]


def test_extras_require_are_secondary_groups_named_for_the_extra(tmp_path):
    text = "[options.extras_require]\ntest =\n    pytest>=8\n    hypothesis\ndocs = sphinx\n"
    manifest = read(tmp_path, text)
    pytest_ = by_name(manifest, "pytest")
    assert (pytest_.group, pytest_.primary, pytest_.declaration_set) == ("test", False, "extra 'test'")
    assert pytest_.range == range_of(text, "pytest>=8")
    assert by_name(manifest, "sphinx").group == "docs"


def test_python_requires_is_the_value_with_its_range(tmp_path):
    text = "[options]\npython_requires = >=3.9, <4\n"
    assert read(tmp_path, text).requires_python == (">=3.9, <4", tmp_path / "setup.cfg",
                                                    range_of(text, ">=3.9, <4"))


def test_invalid_python_requires_is_vs206(tmp_path):
    text = "[options]\npython_requires = 3.9+\n"
    manifest = read(tmp_path, text)
    [finding] = manifest.findings
    assert finding.code == "VS206" and finding.range == range_of(text, "3.9+")
    assert manifest.requires_python is None


def test_unparseable_requirement_is_vs206_with_packagings_message(tmp_path):
    text = "[options]\ninstall_requires =\n    good\n    bad name\n[options.extras_require]\nx = !!\n"
    manifest = read(tmp_path, text)
    assert [(f.code, f.range, f.severity) for f in manifest.findings] == [
        ("VS206", range_of(text, "bad name"), Severity.ERROR),
        ("VS206", range_of(text, "!!"), Severity.WARNING)]
    assert "Expected" in manifest.findings[0].message and manifest.findings[0].package == "bad"


def test_comment_lines_starting_with_semicolon_are_ignored(tmp_path):
    text = "[options]\ninstall_requires =\n    ; old-thing\n    new-thing\n"
    assert [d.name for d in read(tmp_path, text).declarations] == ["new-thing"]


def test_file_directive_is_read_as_a_requirements_file(tmp_path):
    (tmp_path / "requirements.in").write_text("alpha\n", encoding="utf-8")
    (tmp_path / "test.txt").write_text("pytest\n", encoding="utf-8")
    text = ("[options]\ninstall_requires = file: requirements.in\n"
            "[options.extras_require]\ntest = file: test.txt\n")
    manifest = read(tmp_path, text)
    assert [(d.name, d.group, d.primary, d.file.name) for d in manifest.declarations] == [
        ("alpha", "main", True, "requirements.in"), ("pytest", "test", False, "test.txt")]
    assert manifest.findings == []


def test_line_outside_any_section_is_vs206(tmp_path):
    text = "install_requires = x\n[options]\n"
    [finding] = read(tmp_path, text).findings
    assert finding.range == range_of(text, "install_requires = x")


def test_line_that_is_not_an_option_is_vs206(tmp_path):
    text = "[options]\nnot an option\n"
    [finding] = read(tmp_path, text).findings
    assert finding.range == range_of(text, "not an option")


def test_option_set_twice_is_vs206_and_the_first_is_kept(tmp_path):
    text = "[options]\ninstall_requires = a\ninstall_requires = b\n"
    manifest = read(tmp_path, text)
    assert [d.name for d in manifest.declarations] == ["a"]
    [finding] = manifest.findings
    assert finding.range.start.line == 2


def test_crlf_and_cr_line_endings_give_the_same_ranges(tmp_path):
    text = "[options]\ninstall_requires =\n    alpha\n    beta\n"
    expected = [d.range for d in read_setup_cfg(tmp_path / "setup.cfg", text).declarations]
    for newline in ("\r\n", "\r"):
        other = text.replace("\n", newline)
        assert [d.range for d in read_setup_cfg(tmp_path / "setup.cfg", other).declarations] == expected


def test_missing_file_is_one_vs206_at_the_start(tmp_path):
    [finding] = read_setup_cfg(tmp_path / "setup.cfg").findings
    assert "does not exist" in finding.message and finding.range == Range.of(0, 0, 0)


@pytest.mark.parametrize(("data", "reason"), [(b"\x00binary", "binary"), (b"[options]\n\xfe", "UTF-8")])
def test_unreadable_file_is_one_vs206_with_the_reason(tmp_path, data, reason):
    path = tmp_path / "setup.cfg"
    path.write_bytes(data)
    [finding] = read_setup_cfg(path).findings
    assert reason in finding.message


def test_editor_text_is_read_instead_of_the_file(tmp_path):
    path = tmp_path / "setup.cfg"
    path.write_text("[options]\ninstall_requires = on-disk\n", encoding="utf-8")
    manifest = read_setup_cfg(path, "[options]\ninstall_requires = in-editor\n")
    assert [d.name for d in manifest.declarations] == ["in-editor"]


INI_ISH = st.text(alphabet=st.sampled_from([*"[]=:;#\n\r\t ,<>.'\"", *"abcoptins_equr"]), max_size=200)
SECTIONS = ["[options]\n", "[options.extras_require]\n", "[metadata]\n", "install_requires =\n",
            "install_requires = a; b>=1\n", "python_requires = >=3\n", "    c\n", "  # x\n", "\n", "x = !!\n",
            "python_requires =\n   >=3,\n   <4\n", "junk\n"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=300), INI_ISH, st.lists(st.sampled_from(SECTIONS)).map("".join)))
def test_no_text_makes_the_reader_raise_and_ranges_stay_inside(tmp_path, text):
    manifest = read_setup_cfg(tmp_path / "setup.cfg", text)
    lines = LINE_BREAK.split(text)
    ranges = [d.range for d in manifest.declarations] + [f.range for f in manifest.findings]
    if manifest.requires_python:
        ranges.append(manifest.requires_python[2])
    for range_ in ranges:
        assert range_.start <= range_.end
        for position in (range_.start, range_.end):
            assert 0 <= position.line < len(lines)
            assert 0 <= position.column <= len(lines[position.line])

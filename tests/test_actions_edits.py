"""Rewriting a declared specifier to accept the installed version: a precise text edit, returned (never
written), that keeps names, extras, markers, comments, quotes and formatting."""

from __future__ import annotations

from pathlib import Path

from venvsense.declarations import Declaration
from venvsense.edits import apply_edits, specifier_edit
from venvsense.text import Range


def declaration(file: Path, text: str, line: int, start: int, end: int, name: str, kind: str = "registry"
                ) -> Declaration:
    return Declaration(name=name, specifier="", extras=(), marker=None, kind=kind,  # type: ignore[arg-type]
                       url=None, file=file, range=Range.of(line, start, end), group="main", primary=True,
                       declaration_set=file.name, requirement=text)


def rewrite(file: Path, text: str, line: int, start: int, end: int, name: str, version: str) -> str | None:
    segment = text.splitlines()[line][start:end]
    edit = specifier_edit(declaration(file, segment, line, start, end, name), version, text)
    return None if edit is None else apply_edits(text, [edit])


def test_requirements_line_becomes_a_pin_keeping_extras_marker_and_comment() -> None:
    text = "# top\nrequests[security] >= 2.0, <3 ; python_version > '3.8'  # web\nother\n"
    line = text.splitlines()[1]
    end = line.index("  #")
    result = rewrite(Path("requirements.txt"), text, 1, 0, end, "requests", "3.1.0")
    assert result == "# top\nrequests[security]==3.1.0 ; python_version > '3.8'  # web\nother\n"


def test_requirement_without_specifier_gets_one_before_its_marker() -> None:
    text = "Requests ; sys_platform == 'linux'\n"
    result = rewrite(Path("requirements.txt"), text, 0, 0, len(text) - 1, "requests", "2.0")
    assert result == "Requests==2.0 ; sys_platform == 'linux'\n"


def test_pyproject_string_gets_a_floor_and_keeps_its_quotes() -> None:
    text = '[project]\ndependencies = [\n    "httpx[http2]>=1,<1.5",  # net\n]\n'
    line = text.splitlines()[2]
    start = line.index('"') + 1
    end = line.rindex('"')
    result = rewrite(Path("pyproject.toml"), text, 2, start, end, "httpx", "1.7.2")
    assert result == '[project]\ndependencies = [\n    "httpx[http2]>=1.7.2",  # net\n]\n'


def test_last_line_without_newline() -> None:
    text = "alpha\nbeta<2"
    assert rewrite(Path("requirements.txt"), text, 1, 0, 6, "beta", "2.5") == "alpha\nbeta==2.5"


def test_url_requirement_or_other_text_is_not_rewritten() -> None:
    text = "pkg @ https://example.com/pkg-1.0.tar.gz\n"
    assert rewrite(Path("requirements.txt"), text, 0, 0, len(text) - 1, "pkg", "1.0") is None
    text = 'pkg = "^1.0"\n'  # a Poetry table entry: the range is not a PEP 508 string of this name
    assert rewrite(Path("pyproject.toml"), text, 0, 7, 11, "pkg", "2.0") is None


def test_edit_is_returned_not_applied(tmp_path: Path) -> None:
    file = tmp_path / "requirements.txt"
    file.write_text("alpha>=2\n")
    edit = specifier_edit(declaration(file, "alpha>=2", 0, 0, 8, "alpha"), "1.0")
    assert edit is not None and edit.new_text == "==1.0" and edit.range == Range.of(0, 5, 8)
    assert file.read_text() == "alpha>=2\n"

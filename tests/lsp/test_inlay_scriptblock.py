"""A PEP 723 block's dependencies read with their places (``lsp.features.scriptblock``): the inlay hints, hovers
and code lenses of a script stand where each string is; bad blocks give nothing, never an error."""

from __future__ import annotations

from pathlib import Path

from venvsense.lsp.features.scriptblock import SCRIPT_SET, script_declarations

PATH = Path("/project/run.py")


def places(text: str) -> list[tuple[str, int, int, int]]:
    lines = text.splitlines()
    found = []
    for d in script_declarations(PATH, text):
        start, end = d.range.start, d.range.end
        assert start.line == end.line and lines[start.line][start.column:end.column] == d.requirement
        found.append((d.name, start.line, start.column, end.column))
    return found


def test_entries_on_their_lines_and_on_one_line() -> None:
    text = ('#!/usr/bin/env python\n# /// script\n# requires-python = ">=3.11"\n# dependencies = [\n'
            '#   "rich>=13",  # pretty output\n#   \'httpx[http2] ; python_version >= "3.8"\',\n#\n# ]\n# ///\n')
    assert places(text) == [("rich", 4, 5, 13), ("httpx", 5, 5, 43)]
    one = '# /// script\n# dependencies = ["a==1", "b"]\n# ///\n'
    assert places(one) == [("a", 1, 19, 23), ("b", 1, 27, 28)]
    declaration = script_declarations(PATH, one)[0]
    assert (declaration.declaration_set, declaration.specifier, declaration.kind) == (SCRIPT_SET, "==1", "registry")


def test_quotes_inside_strings_and_a_url() -> None:
    text = ('# /// script\n# dependencies = [\n#   "pkg ; sys_platform == \\"linux\\"",\n'
            '#   "beta @ https://files.example/beta-1.0-py3-none-any.whl",\n# ]\n# ///\n')
    found = script_declarations(PATH, text)
    assert [d.name for d in found] == ["pkg", "beta"]
    assert found[1].kind == "url" and found[1].url == "https://files.example/beta-1.0-py3-none-any.whl"


def test_what_is_not_a_script_blocks_dependency_gives_nothing() -> None:
    assert script_declarations(PATH, "import os\n") == []
    assert script_declarations(PATH, '# /// pyproject\n# dependencies = ["a"]\n# ///\n') == []
    assert script_declarations(PATH, '# /// script\n# dependencies = ["a"\n# ///\n') == []  # not TOML
    assert script_declarations(PATH, '# /// script\n# dependencies = "a"\n# ///\n') == []
    assert places('# /// script\n# dependencies = [1, "not a requirement!", "ok"]\n# ///\n') == [("ok", 1, 44, 46)]
    assert script_declarations(PATH, '# /// script\n# dependencies = ["a"]\n') == []  # never closed
    assert script_declarations(PATH, '# /// script\n# dependencies = [{a = "b"}, "c"]\n# ///\n') == []

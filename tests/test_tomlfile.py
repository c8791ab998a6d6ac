"""``tomlfile.read_toml``: a text is parsed once per process, and every read gets a document of its own."""

from __future__ import annotations

import sys
from pathlib import Path

from venvsense.tomlfile import PARSED, read_toml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = """[project]
name = "app"
dependencies = ["requests>=2", "rich"]
[tool.uv.workspace]
members = ["packages/*"]
[tool.other]
ratio = 0.5
flag = true
"""


def test_each_read_of_a_text_is_its_own_copy_of_one_parse(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT, "utf-8")
    PARSED.pop(PYPROJECT)
    first = read_toml(path)
    assert PARSED.get(PYPROJECT) is not None  # parsed once, kept
    second, third = read_toml(path), read_toml(tmp_path / "elsewhere.toml", PYPROJECT)
    assert first.data == second.data == third.data == tomllib.loads(PYPROJECT)
    assert third.path == tmp_path / "elsewhere.toml" and third.text == PYPROJECT
    # a caller changing its document changes nobody else's
    assert second.data is not None and third.data is not None
    second.data["project"]["dependencies"].append("evil")  # type: ignore[index]
    second.data["tool"].clear()  # type: ignore[union-attr]
    assert third.data == read_toml(path).data == tomllib.loads(PYPROJECT)


def test_dates_and_bad_text_are_parsed_each_time(tmp_path: Path) -> None:
    dated = 'released = 2025-01-02T03:04:05Z\nday = 2025-01-02\n'
    read_toml(tmp_path / "a.toml", dated)
    assert PARSED.get(dated) is None
    assert read_toml(tmp_path / "a.toml", dated).data == tomllib.loads(dated)
    bad = "[project\nname = 'x'\n"
    for _ in range(2):
        parsed = read_toml(tmp_path / "b.toml", bad)
        assert parsed.data is None and parsed.error is not None and "line 1" in str(parsed.error)

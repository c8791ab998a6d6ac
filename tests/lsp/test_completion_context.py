"""Where a completion request stands, read from a manifest's text alone: requirements lines, pyproject.toml
dependency arrays and Poetry tables, PEP 723 blocks — and the places where nothing is offered."""

from __future__ import annotations

import pytest

from venvsense.lsp.features.completion_context import Spot, requirements_spot, script_spot, toml_spot
from venvsense.lsp.settings import read_settings


def spot(line: str) -> Spot | None:
    return requirements_spot(line, len(line))


@pytest.mark.parametrize(("line", "kind", "partial", "start", "extra"), [
    ("", "name", "", 0, {}),
    ("Djan", "name", "Djan", 0, {}),
    ("zope.int", "name", "zope.int", 0, {}),
    ("alpha==", "version", "", 7, {"name": "alpha", "operator": "=="}),
    ("alpha ~= 1.", "version", "1.", 9, {"operator": "~="}),
    ("alpha>=1,<2.", "version", "2.", 10, {"operator": "<", "clauses": ">=1"}),
    ("alpha[socks]>=", "version", "", 14, {"name": "alpha"}),
    ("alpha[", "extra", "", 6, {"name": "alpha"}),
    ("alpha[socks, fa", "extra", "fa", 13, {}),
    ("alpha; ", "marker-name", "", 7, {}),
    ("alpha; python_version < '3.10' and platform_sys", "marker-name", "platform_sys", 35, {}),
    ('alpha; sys_platform != "win', "marker-value", "win", 24, {"marker": "sys_platform"}),
])
def test_requirement_lines(line: str, kind: str, partial: str, start: int, extra: dict[str, str]) -> None:
    found = spot(line)
    assert found is not None and (found.kind, found.partial, found.start) == (kind, partial, start)
    for key, value in extra.items():
        assert getattr(found, key) == value


@pytest.mark.parametrize("line", ["-r other.txt", "--index-url https://x", "# alpha", "alpha  # pinned",
                                  "alpha @ https://example.com/a.whl", "./local/path", "alpha ", "alpha=="[:0] + "==1"])
def test_nothing_is_offered_in_options_comments_urls_or_after_a_complete_name(line: str) -> None:
    assert spot(line) is None


def test_the_rest_of_the_line_is_kept_for_the_name_style() -> None:
    found = requirements_spot("alp  # keep", 3)
    assert found is not None and found.rest == "  # keep"


PYPROJECT_TEXT = '''[project]
name = "demo"
description = "a [bracket] and \\"quotes\\" here"
dependencies = [
    "alpha>=1",  # a comment with "quotes"
    "be
]
optional-dependencies = { docs = ["sph"] }

[project.optional-dependencies]
test = [
  'pyt',
]

[dependency-groups]
lint = ["ruff>="]

[tool.other]
dependencies = ["nope"]

[tool.poetry.group.dev.dependencies]
pytest = { version = "^8.", extras = ["x"] }
bla
notes = """
  "fake = [
"""
'''
PYPROJECT = PYPROJECT_TEXT.splitlines()


@pytest.mark.parametrize(("line", "column", "expected"), [
    (5, 7, ("name", "be", 5)),
    (7, 38, ("name", "sph", 35)),
    (11, 6, ("name", "pyt", 3)),
    (15, 14, ("version", "", 14)),
    (21, 25, ("version", "8.", 23)),
    (21, 40, ("extra", "x", 39)),
    (22, 3, ("name", "bla", 0)),
])
def test_pyproject_strings_and_poetry_entries(line: int, column: int, expected: tuple[str, str, int]) -> None:
    found = toml_spot(PYPROJECT, line, column, "pyproject")
    assert found is not None and (found.kind, found.partial, found.start) == expected


@pytest.mark.parametrize(("line", "column"), [(1, 10), (2, 20), (4, 30), (18, 19), (24, 5), (9, 3)])
def test_pyproject_places_without_completion(line: int, column: int) -> None:
    assert toml_spot(PYPROJECT, line, column, "pyproject") is None


def test_a_script_block_completes_its_dependencies_only() -> None:
    lines = ["#!/usr/bin/env python", "# /// script", '# requires-python = ">=3.11"', "# dependencies = [",
             '#   "rich>=13', "# ]", "# ///", 'x = ["rich']
    found = script_spot(lines, 4, len(lines[4]))
    assert found is not None and (found.kind, found.name, found.partial, found.start) == ("version", "rich", "13", 11)
    assert script_spot(lines, 2, len(lines[2])) is None  # requires-python is no dependency
    assert script_spot(lines, 7, len(lines[7])) is None  # code after the block


def test_index_allow_untrusted_is_read_from_the_index_section() -> None:
    settings, errors = read_settings({"venvsense": {"index": {"allowUntrusted": True}, "offline": True}})
    assert settings.index_allow_untrusted and not errors and settings.engine["offline"] is True
    settings, errors = read_settings({"index": {"allowUntrusted": "yes"}, "checkOutdated": 3})
    assert not settings.index_allow_untrusted
    assert errors == ["setting index.allowUntrusted: must be true or false",
                      "setting checkOutdated: check-outdated must be true or false"]

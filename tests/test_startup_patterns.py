"""Expressions made cheaper for start-up answer exactly as before: ``text.lazy_pattern`` (compiled on first use)
and ``usedwithout``'s one combined expression per glob list (in place of one ``fnmatchcase`` compile per glob).
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

import pytest

from venvsense import usedwithout
from venvsense.text import lazy_pattern


def test_a_lazy_pattern_compiles_once_on_first_use_and_matches_as_re_compile() -> None:
    unique = r"venvsense-startup-(\d+)-only-here"
    re.purge()
    getter = lazy_pattern(unique, re.I)
    assert getter.cache_info().currsize == 0  # nothing compiled yet
    first = getter()
    assert getter() is first and first.flags & re.I
    assert first.fullmatch("VENVSENSE-startup-42-only-here").group(1) == "42"
    assert lazy_pattern(rb"a(b)")().match(b"ab").group(1) == b"b"


# every default glob itself, names around each (prefixes, suffixes, other spellings), and names no glob takes
_NAMES = sorted({
    *(p for p, _ in usedwithout.DEFAULT_NOT_IMPORTED),
    *(p.replace("*", "x") for p, _ in usedwithout.DEFAULT_NOT_IMPORTED),
    *(p.replace("*", "") for p, _ in usedwithout.DEFAULT_NOT_IMPORTED),
    *("py-" + p.replace("*", "a") for p, _ in usedwithout.DEFAULT_NOT_IMPORTED),
    *(p.replace("*", "a") + "s" for p, _ in usedwithout.DEFAULT_NOT_IMPORTED),
    "requests", "flask", "Types_Requests", "pandas.stubs", "PyTest", "pytest-cov", "sphinx_rtd_theme", "numpy",
    "types-", "-stubs", "typesx", "jupyter", "jupyterx", "x\nstubs", "",
})


@pytest.mark.parametrize("name", _NAMES)
def test_used_without_import_is_fnmatchcase_over_every_glob(name: str) -> None:
    normalized = usedwithout.normalize(name)
    defaults = [p for p, _ in usedwithout.DEFAULT_NOT_IMPORTED]
    assert usedwithout.is_used_without_import(name) == any(fnmatchcase(normalized, p) for p in defaults)
    extra = ["My_Tool*", "other.[ab]"]
    expected = any(fnmatchcase(normalized, p) for p in [*defaults, "my-tool*", "other-[ab]"])
    assert usedwithout.is_used_without_import(name, extra) == expected


@pytest.mark.parametrize("group", [
    *usedwithout.USED_BY_ENTRY_POINTS, "flake8.extension", "sphinx.html_themes", "pytest11x", "jupyter_server",
    "poetry.application.plugin", "poetry", "pdm.plugin", "console_scripts\n", "distutils.commands", "",
])
def test_used_by_entry_points_is_fnmatchcase_over_every_glob(group: str) -> None:
    expected = any(fnmatchcase(group, p) for p in usedwithout.USED_BY_ENTRY_POINTS)
    assert usedwithout.used_by_entry_points([group]) == expected
    assert usedwithout.used_by_entry_points(["nothing-here", group]) == expected
    assert usedwithout.used_by_entry_points([]) is False

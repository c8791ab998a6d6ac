"""What a ``pyproject.toml`` names: the modules of the project's entry points (``[project.scripts]``,
``[project.gui-scripts]``, ``[project.entry-points.*]``, Poetry's ``scripts``/``plugins``), the tools it
configures (each ``[tool.X]`` table), dotted names in those tables (``[tool.mypy] plugins``), and the commands of
script tables (pdm, Hatch, poe, taskipy)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from venvsense.classify.byname.commands import command_names
from venvsense.classify.byname.names import (
    DISTRIBUTION,
    INSTALL_KEYS,
    MODULE,
    NameFound,
    dotted_string,
    toml_strings,
)
from venvsense.tomlfile import read_toml

_NO_PATH = Path("pyproject.toml")  # read_toml names the file only in errors; the text is given
_ENTRY = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?::|$)")


def _line_of(text: str, needle: str, default: int = 1) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else default


def _entry_points(table: Any) -> Iterator[str]:
    if isinstance(table, str):
        match = _ENTRY.match(table)
        if match is not None:
            yield match.group(1)
    elif isinstance(table, Mapping):
        for value in table.values():
            yield from _entry_points(value.get("reference", "") if isinstance(value, Mapping)
                                     and "reference" in value else value)


def _script_tables(tool: Mapping[str, Any]) -> Iterator[Any]:
    pdm, hatch, poe, taskipy = (tool.get(name, {}) for name in ("pdm", "hatch", "poe", "taskipy"))
    if isinstance(pdm, Mapping):
        yield pdm.get("scripts", {})
    if isinstance(hatch, Mapping) and isinstance(hatch.get("envs"), Mapping):
        yield from (env.get("scripts", {}) for env in hatch["envs"].values() if isinstance(env, Mapping))
    if isinstance(poe, Mapping):
        yield poe.get("tasks", {})
    if isinstance(taskipy, Mapping):
        yield taskipy.get("tasks", {})


# [tool.X] tables named after a tool's command rather than its distribution
_TOOL_DISTRIBUTIONS = {"poe": ("poethepoet",), "bumpversion": ("bump2version", "bumpversion"),
                       "bump-my-version": ("bump-my-version",), "pyright": ("pyright", "basedpyright")}
_COMMAND_KEYS = re.compile(r"commands(?:_pre|_post)?")
_LOOSE_KEYS = re.compile(r"plugin|extension", re.IGNORECASE)


def _keyed_strings(value: Any, key: str) -> Iterator[tuple[str, str]]:
    """(the innermost key, string) for every string in a TOML value, without what install keys list; a list of
    strings under a ``commands`` key is one command line per inner list."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, Mapping):
        for inner, item in value.items():
            if not INSTALL_KEYS.search(str(inner)):
                yield from _keyed_strings(item, str(inner))
    elif isinstance(value, list):
        if _COMMAND_KEYS.fullmatch(key) and value and all(isinstance(item, str) for item in value):
            yield key, shlex.join(value)
            return
        for item in value:
            yield from _keyed_strings(item, key)


def pyproject_names(text: str) -> list[NameFound]:
    """The names in one ``pyproject.toml``'s text (nothing when it does not parse: VS206 says why elsewhere)."""
    data = read_toml(_NO_PATH, text).data or {}
    found: list[NameFound] = []
    project = data.get("project", {})
    tool = data.get("tool", {})
    tool = tool if isinstance(tool, Mapping) else {}
    poetry = tool.get("poetry", {})
    poetry = poetry if isinstance(poetry, Mapping) else {}
    tables: list[Any] = []
    if isinstance(project, Mapping):
        tables += [project.get("scripts", {}), project.get("gui-scripts", {}), project.get("entry-points", {})]
    tables += [poetry.get("scripts", {}), poetry.get("plugins", {})]
    for table in tables:
        for module in _entry_points(table):
            found.append(NameFound(MODULE, module, _line_of(text, module), "an entry point"))
    for name, table in tool.items():
        line = _line_of(text, f"[tool.{name}", _line_of(text, "[tool"))
        found.extend(NameFound(DISTRIBUTION, distribution, line, f"[tool.{name}] configures it")
                     for distribution in (name, *_TOOL_DISTRIBUTIONS.get(name, ())))
        if name in {"poetry", "pdm", "hatch", "uv", "poe", "taskipy", "setuptools", "flit", "maturin"}:
            continue  # project managers: their tables list what to install and scripts (read below)
        for key, value in _keyed_strings(table, ""):
            if _COMMAND_KEYS.fullmatch(key):  # tox in pyproject: commands = [["gha-update"], ["pytest", "-x"]]
                found.extend(command_names(value, _line_of(text, value.split(" ", 1)[0]), f"[tool.{name}] {key}"))
            else:  # plugins = ["coverage_conditional_plugin"] names a module; elsewhere only dotted names do
                found.extend(dotted_string(value, _line_of(text, value), bool(_LOOSE_KEYS.search(key)),
                                           f"a name in [tool.{name}]"))
    for table in _script_tables(tool):
        for value in toml_strings(table):
            found.extend(command_names(value, _line_of(text, value), "a project script"))
    return found

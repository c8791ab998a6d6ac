"""``Pipfile`` (pipenv's manifest) read as declaration sets: ``[packages]`` is the main set, ``[dev-packages]`` and
any other package category (pipenv's custom categories) secondary sets, each entry with the range of its
``name = ...`` line; ``[requires] python_version`` / ``python_full_version`` is the project's Python.

Entries as pipenv reads them: ``"*"`` (any version), a specifier (``">=1.2"``; a bare ``"1.2"`` means
``==1.2``), or a table with ``version``, ``extras``, ``markers``, PEP 508 variables as keys
(``sys_platform = "== 'linux'"``), ``git``/``ref``, ``path``, ``file``, ``editable``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from venvsense.declarations import MAIN, Kind, Manifest
from venvsense.declarations.locks.shared import lock_toml
from venvsense.declarations.pyproject.document import INVALID, PyprojectDocument, toml_type
from venvsense.declarations.pyproject.positions import Key
from venvsense.declarations.pyproject.sources import source_of
from venvsense.findings import make
from venvsense.text import START
from venvsense.tomlfile import TomlFile, read_toml

__all__ = ["DEV_CATEGORY", "MAIN_CATEGORY", "read_pipfile"]

_PLACEHOLDER = re.compile(r"[0-9a-f]{7,40}")
MAIN_CATEGORY = "packages"
DEV_CATEGORY = "dev-packages"
# Sections of a Pipfile that are not package categories (pipenv's own list).
_NOT_CATEGORIES = frozenset({"source", "requires", "scripts", "pipfile", "pipenv"})
# PEP 508 variables pipenv accepts as keys of a package table, each becoming one marker clause.
_MARKER_KEYS = (
    "os_name", "sys_platform", "platform_machine", "platform_python_implementation", "platform_release",
    "platform_system", "platform_version", "python_version", "python_full_version", "implementation_name",
    "implementation_version",
)


def read_pipfile(path: Path, text: str | None = None, *, parsed: TomlFile | None = None) -> Manifest:
    """The declarations of one ``Pipfile`` (``text``: an unsaved editor buffer). Never raises: what cannot be
    understood becomes a VS206 finding on its line."""
    path = path.absolute()
    if parsed is None:
        parsed = read_toml(path, text)
    manifest = Manifest(path=path, files=[path])
    if parsed.text is None:
        manifest.findings.append(make(INVALID, f"{path.name} {parsed.unreadable}", path, START))
        return manifest
    if parsed.data is None:
        _, error = lock_toml(path, parsed.text)
        where = error.range if error is not None else START
        message = error.message if error is not None else f"{path.name} is not valid TOML"
        manifest.findings.append(make(INVALID, message, path, where))
        return manifest
    document = PyprojectDocument(path, parsed.text, parsed.data, manifest)
    _read_requires(document)
    for category, table in parsed.data.items():
        if category in _NOT_CATEGORIES:
            continue
        if not isinstance(table, dict):
            document.invalid(f"[{category}] must be a table of packages, not {toml_type(table)}",
                             document.value_range((category,)), primary=category == MAIN_CATEGORY)
            continue
        primary = category == MAIN_CATEGORY
        group = MAIN if primary else category
        declaration_set = path.name if primary else f"{path.name} [{category}]"
        for name, value in table.items():
            _read_entry(document, (category, name), name, value, group=group, primary=primary,
                        declaration_set=declaration_set)
    return manifest


def _read_requires(document: PyprojectDocument) -> None:
    requires = document.table(("requires",))
    if not requires:
        return
    for key, operator in (("python_full_version", "=="), ("python_version", "==")):
        value = requires.get(key)
        if value is None:
            continue
        range_ = document.value_range(("requires", key))
        if not isinstance(value, str):
            document.invalid(f"[requires] {key} must be a string, not {toml_type(value)}", range_)
            return
        version = value.strip()
        specifier = f"{operator}{version}" if key == "python_full_version" else f"{operator}{version}.*"
        if version == "*":
            return
        try:
            SpecifierSet(specifier)
        except InvalidSpecifier:
            document.invalid(f"invalid [requires] {key} {value!r}: not a Python version", range_)
            return
        document.manifest.requires_python = (specifier, document.path, range_)
        return


def _read_entry(document: PyprojectDocument, key: Key, name: str, value: object, *, group: str, primary: bool,
                declaration_set: str) -> None:
    range_ = document.entry_range(key)

    def invalid(why: str) -> None:
        document.invalid(f"invalid Pipfile entry {name!r}: {why}", range_, primary=primary,
                         package=canonicalize_name(name), declaration_set=declaration_set)

    extras: list[str] = []
    markers: list[str] = []
    source: tuple[Kind, str | None] | None = None
    if isinstance(value, str):
        version = value
    elif isinstance(value, dict):
        version = value.get("version", "*")
        if not isinstance(version, str):
            invalid(f"version must be a string, not {toml_type(version)}")
            return
        raw_extras = value.get("extras", [])
        if not isinstance(raw_extras, list) or not all(isinstance(e, str) for e in raw_extras):
            invalid("extras must be an array of strings")
            return
        extras = raw_extras
        if "markers" in value:
            if not isinstance(value["markers"], str):
                invalid(f"markers must be a string, not {toml_type(value['markers'])}")
                return
            if value["markers"].strip():
                markers.append(value["markers"].strip())
        for variable in _MARKER_KEYS:
            clause = value.get(variable)
            if isinstance(clause, str) and clause.strip():
                markers.append(f"{variable} {clause.strip()}")
        source = _source(value, document.path.parent)
    else:
        invalid(f"expected a version or a table, not {toml_type(value)}")
        return
    text = name + (f"[{','.join(extras)}]" if extras else "")
    if source is not None:
        text += f" @ {source[1]}" if source[1] else ""
    else:
        text += _specifier(version)
    if markers:
        marker = " and ".join(f"({m})" for m in markers) if len(markers) > 1 else markers[0]
        text += (" ; " if source is not None else "; ") + marker
    declaration = document.pep508(text, range_, group=group, primary=primary, declaration_set=declaration_set)
    if declaration is None:
        return
    if source is None:
        document.manifest.declarations.append(replace(declaration, name=name))
        return
    # older pipenv keyed a local path by a hash of it (``e1839a8 = {path = ".", editable = true}``): no name
    unnamed = source[0] in ("path", "editable") and _PLACEHOLDER.fullmatch(name) is not None
    document.manifest.declarations.append(replace(declaration, name="" if unnamed else name, kind=source[0]))


def _specifier(version: str) -> str:
    """A Pipfile version as a PEP 440 specifier: ``*`` any, a bare version ``==`` it."""
    version = version.strip()
    if version in ("", "*"):
        return ""
    if version[0].isdigit():
        return f"=={version}"
    return version


def _source(table: dict[str, Any], root: Path) -> tuple[Kind, str | None] | None:
    """pipenv's ``git``/``ref``, ``path``, ``file`` keys as a source (``ref`` names the revision)."""
    if "ref" in table and "rev" not in table:
        table = {**table, "rev": table["ref"]}
    if "file" in table and "url" not in table:
        table = {**table, "url": table["file"]}
    return source_of(table, root)

"""Dynamic dependencies: ``[project] dynamic = ["dependencies", "optional-dependencies"]``, read from the build
backends' tables — ``[tool.setuptools.dynamic] dependencies = {file = [...]}`` (and ``optional-dependencies``
per extra), Hatch's ``[tool.hatch.metadata.hooks.requirements_txt] files = [...]`` (and its
``optional-dependencies``) — whose files are read as requirements files.

What no table resolves is left in ``Manifest.unresolved_dynamic`` with the range of its ``dynamic`` entry; the
project model then reads it from the project's own installed ``METADATA`` (``declare_from_metadata``) or, when
the project is not installed, says so with one VS209 finding (``unresolved``) and marks the set incomplete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from venvsense.declarations import MAIN, Manifest
from venvsense.declarations.pyproject.document import PyprojectDocument, pep508_declaration, toml_type
from venvsense.declarations.requirements import read_requirements
from venvsense.findings import Finding, make
from venvsense.text import Range, lazy_pattern

__all__ = ["declare_from_metadata", "read_dynamic", "unresolved"]

DYNAMIC = "VS209"
FIELDS = ("dependencies", "optional-dependencies")
# ``extra == "name"`` in a Requires-Dist marker, with the ``and`` that joins it to the rest
_EXTRA = lazy_pattern(r"""(?:\s+and\s+)?\(?\s*extra\s*==\s*(['"])(?P<extra>[^'"]+)\1\s*\)?(?:\s+and\s+)?""")


def read_dynamic(document: PyprojectDocument, project: dict[str, Any]) -> None:
    """Read the dynamic fields of ``[project]`` from the backends' tables; record what none resolves."""
    dynamic = project.get("dynamic")
    if not isinstance(dynamic, list):
        return
    for index, field in enumerate(dynamic):
        if field not in FIELDS:
            continue
        at = document.value_range(("project", "dynamic", index))
        resolved = _main_files(document) if field == "dependencies" else _extra_files(document)
        if resolved is None:
            document.manifest.unresolved_dynamic.append((field, at))


def _files(document: PyprojectDocument, value: object, key: tuple[str | int, ...]) -> list[Path] | None:
    """The files of a ``{file = ...}`` table, a list of file names or one file name."""
    if isinstance(value, dict):
        value = value.get("file")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        if value is not None:
            document.invalid(f"a list of requirements files was expected, not {toml_type(value)}",
                             document.value_range(key))
        return None
    return [document.path.parent / v for v in value]


def _read(document: PyprojectDocument, files: Iterable[Path], *, group: str) -> None:
    manifest = document.manifest
    primary = group == MAIN
    for path in files:
        read = read_requirements(path, primary=primary, declaration_set=None if primary else f"extra '{group}'")
        manifest.files += [f for f in read.files if f not in manifest.files]
        manifest.findings += read.findings
        manifest.constraints += read.constraints
        manifest.declarations += read.declarations if primary else [
            replace(d, group=group, primary=False, declaration_set=f"extra '{group}'") for d in read.declarations]


def _main_files(document: PyprojectDocument) -> list[Path] | None:
    setuptools_key = ("tool", "setuptools", "dynamic", "dependencies")
    hatch_key = ("tool", "hatch", "metadata", "hooks", "requirements_txt", "files")
    for key in (setuptools_key, hatch_key):
        value = document.lookup(key)
        if value is not None:
            files = _files(document, value, key)
            if files is not None:
                _read(document, files, group=MAIN)
                return files
    return None


def _extra_files(document: PyprojectDocument) -> list[Path] | None:
    found: list[Path] | None = None
    for key in (("tool", "setuptools", "dynamic", "optional-dependencies"),
                ("tool", "hatch", "metadata", "hooks", "requirements_txt", "optional-dependencies")):
        table = document.lookup(key)
        if not isinstance(table, dict):
            continue
        for extra, value in table.items():
            files = _files(document, value, (*key, extra))
            if files is not None:
                _read(document, files, group=extra)
                found = [*(found or []), *files]
    return found


def declare_from_metadata(manifest: Manifest, requires: Iterable[str]) -> None:
    """Declare the installed project's own ``Requires-Dist`` for the fields no table resolved, each at the range
    of its ``dynamic`` entry (``extra == "x"`` requirements in extra ``x``)."""
    wanted = {field: at for field, at in manifest.unresolved_dynamic}
    for text in requires:
        requirement, _, marker = text.partition(";")
        extra = None
        match = _EXTRA().search(marker)
        if match:
            extra = match.group("extra")
            marker = (marker[:match.start()] + (" and " if match.start() and match.end() < len(marker) else "")
                      + marker[match.end():]).strip()
        field = "optional-dependencies" if extra else "dependencies"
        if field not in wanted:
            continue
        written = f"{requirement.strip()}; {marker}" if marker.strip() else requirement.strip()
        group = extra or MAIN
        result = pep508_declaration(written, manifest.path, wanted[field], group=group, primary=extra is None,
                                    declaration_set=f"extra '{extra}'" if extra else manifest.path.name)
        if not isinstance(result, Finding):
            manifest.declarations.append(result)
    manifest.unresolved_dynamic = []


def unresolved(manifest: Manifest) -> None:
    """One VS209 finding for the dynamic fields nothing resolved; the set is incomplete."""
    if not manifest.unresolved_dynamic:
        return
    if manifest.incomplete:  # the reader said already what it could not read (setup.py)
        manifest.unresolved_dynamic = []
        return
    fields = [field for field, _ in manifest.unresolved_dynamic]
    first: Range = manifest.unresolved_dynamic[0][1]
    manifest.unresolved_dynamic = []
    manifest.incomplete = True
    manifest.findings.append(make(
        DYNAMIC,
        f"{' and '.join(fields)} of {manifest.path.name} are computed at build time ([project] dynamic), "
        "by no table venvsense reads, and the project is not installed in its venv: nothing is called "
        "undeclared until it is (pip install -e .)",
        manifest.path, first, fields=fields,
    ))

"""Reads the ``deps`` of ``tox.ini``'s test environments (``[testenv]``, ``[testenv:<name>]``), never running tox.

Each environment's requirements are a set of their own, ``tox env '<name>'`` (``testenv`` for the base section),
for development: what the code tox runs (the tests) imports may be declared there only (sentry-python declares
its tests' ``responses``, ``docker``, ``aws-cdk``… in tox.ini). tox installs them in environments of its own, so
the project's venv is never judged against them (``declarations.SEPARATE_ENVIRONMENTS``).

A line of ``deps`` is read when it is a plain requirement, after an optional factor condition (``py38: foo``,
``!py38,django{32,40}: foo`` — any factor: the requirement is the project's for some environment). Skipped:
options (``-r file``, ``-c file``: the files are requirements files of their own), substitutions (``{[base]deps}``,
``{env:X}``) and what is not a requirement. Only ``tox.ini`` (tox 4's ``tox.toml`` and ``[tool.tox]`` are not read).
"""

from __future__ import annotations

from pathlib import Path

from venvsense.declarations import TOX_ENV, Manifest, manifest_text
from venvsense.declarations.pyproject.document import pep508_declaration
from venvsense.findings import Finding
from venvsense.text import Position, Range, lazy_pattern

__all__ = ["TOX_ENV", "read_tox_ini"]

_SECTION = lazy_pattern(r"\[\s*(testenv(?::[^\]]*)?)\s*\]\s*(?:[#;].*)?$")
_DEPS = lazy_pattern(r"deps\s*[=:]\s*")
_FACTORS = lazy_pattern(r"!?[\w{}.,\-]+(?:,!?[\w{}.,\-]+)*:\s+")
_MAX_LINES = 100_000


def read_tox_ini(path: Path, text: str | None = None) -> Manifest:
    """The ``deps`` of every test environment of the ``tox.ini`` at ``path`` (``text``: an editor's buffer).
    Never raises; what is not a requirement is left out (tox would say so), not a finding of ours."""
    manifest, text = manifest_text(path, text)
    if text is None:
        manifest.findings.clear()  # (a tox.ini we cannot read is tox's business, not a manifest problem)
        return manifest
    section: str | None = None
    in_deps = False
    for number, line in enumerate(text.splitlines()[:_MAX_LINES]):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if line.startswith("["):
            found = _SECTION().match(line)
            section = found.group(1).strip() if found else None
            in_deps = False
            continue
        if section is None:
            continue
        if not line[0].isspace():  # a key of the section
            key = _DEPS().match(line)
            in_deps = key is not None
            if key is None or not line[key.end():].strip():
                continue
            _line(manifest, path, section, line, key.end(), number)
        elif in_deps:
            _line(manifest, path, section, line, len(line) - len(line.lstrip()), number)
    return manifest


def _line(manifest: Manifest, path: Path, section: str, line: str, start: int, number: int) -> None:
    """One requirement line of ``deps`` (its text from ``start``), declared when it is a plain requirement."""
    comment = line.find(" #", start)
    end = comment if comment >= 0 else len(line)
    factors = _FACTORS().match(line, start, end)
    if factors is not None:
        start = factors.end()
    requirement = line[start:end].strip()
    if not requirement or requirement.startswith("-") or "{" in requirement or "}" in requirement:
        return
    begin = line.index(requirement, start)
    where = Range(Position(number, begin), Position(number, begin + len(requirement)))
    name = section.partition(":")[2].strip() or "testenv"
    declared = pep508_declaration(requirement, path, where, group=f"tox:{name}", primary=False,
                                  declaration_set=f"{TOX_ENV}'{name}'")
    if not isinstance(declared, Finding):
        manifest.declarations.append(declared)

"""Reads pyenv's ``.python-version``: the Python versions a project asks for, with their ranges.

pyenv takes the first word of each line, skips blank lines and lines starting with ``#``, and ignores words
that could escape its versions folder (``..`` or anything with a ``/``); several lines name several
versions, the first being the one ``python`` runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from venvsense.findings import Finding, make
from venvsense.text import START, Range, UnreadableFile, lazy_pattern, read_text

__all__ = ["PYTHON_VERSION", "PythonVersionFile", "is_python_version", "read_python_version"]

# A Python version as a number (``3``, ``3.12``, ``3.12.2``): what a ``.python-version`` entry, a ``--python``
# argument or a setting must look like to be looked up as a version rather than as a name or a path.
PYTHON_VERSION = re.compile(r"\d+(\.\d+){0,2}")
_LINES = lazy_pattern(r"\r\n|\r|\n")
_FIRST_WORD = lazy_pattern(r"[ \t]*(\S+)")


def is_python_version(text: str) -> bool:
    """Whether ``text`` is a Python version number (``3``, ``3.12``, ``3.12.2``), nothing around it."""
    return PYTHON_VERSION.fullmatch(text) is not None


@dataclass(frozen=True)
class PythonVersionFile:
    """The versions of one ``.python-version`` file in order, each with the range of its word."""

    path: Path
    versions: tuple[tuple[str, Range], ...]
    findings: tuple[Finding, ...]

    @property
    def first_version_number(self) -> str | None:
        """The first entry (the one ``python`` runs) when it is a version number, else ``None``."""
        if self.versions and is_python_version(self.versions[0][0]):
            return self.versions[0][0]
        return None


def read_python_version(path: Path, text: str | None = None) -> PythonVersionFile:
    """Read one ``.python-version`` (``text``: an unsaved editor buffer of it); never raises.

    Entries are kept as written (``3.12.2``, ``3.12``, ``pypy3.10-7.3.12``, ``system``, a virtualenv's
    name): what they mean is for whoever compares them with an interpreter. An entry pyenv ignores is a
    VS206 finding.
    """
    path = path.absolute()
    if text is None:
        try:
            text = read_text(path)
        except UnreadableFile as error:
            return PythonVersionFile(path, (), (make("VS206", f"{path.name} {error.reason}", path, START),))
    versions: list[tuple[str, Range]] = []
    findings: list[Finding] = []
    for number, line in enumerate(_LINES().split(text)):
        match = _FIRST_WORD().match(line)
        if match is None or match.group(1).startswith("#"):
            continue
        word = match.group(1)
        range_ = Range.of(number, match.start(1), match.end(1))
        if word == ".." or "/" in word:
            findings.append(make("VS206", f"pyenv ignores {word!r}: a version name cannot be a path", path,
                                 range_))
            continue
        versions.append((word, range_))
    return PythonVersionFile(path, tuple(versions), tuple(findings))

"""Jupyter notebooks (``.ipynb``) as modules: their code cells, one after the other, as the text the scanner reads.

A notebook is JSON (nbformat 4: ``cells``, each with ``cell_type`` and ``source``, a string or a list of lines).
Its code cells are joined in order with every cell boundary kept: each cell starts on a line of its own, and the
start of each is remembered, so a finding's line in the joined text maps back to (cell, line in the cell).
IPython syntax is blanked, line for line, so that it neither hides imports nor looks like Python: line magics
(``%matplotlib inline``, ``%pip install x``), shell escapes (``!pip install x``), help (``x?``), and a whole cell
under a cell magic that runs another language (``%%bash``); under one that runs its body as Python (``%%capture``,
``%%time``, ``%%timeit``) the body is code. Markdown and raw cells are not code. A file that is not a notebook
(bad JSON, no ``cells``) reads as no code, with the reason.

The blanked lines that install with pip (``%pip install x``, ``!pip install x``, ``!python -m pip install x``,
``!uv pip install x``, a ``pip install x`` line of a ``%%bash`` cell) are kept as ``PipInstall``s: each
requirement they name with its exact place (``pipline.py`` reads them). ``%conda install`` is not pip.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from venvsense.caches import MemoryCache
from venvsense.imports.records import ScanResult
from venvsense.imports.scanner import scan_source
from venvsense.text import read_capped

if TYPE_CHECKING:
    from venvsense.imports.pipline import PipInstall

NOTEBOOK_SUFFIX = ".ipynb"
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024  # the module cap: outputs (images) make notebooks large, code rarely


class NotebookCode(NamedTuple):  # (NamedTuple: made at import ~4x faster than a frozen dataclass)
    """The code of a notebook: ``text`` (its code cells joined), ``starts`` (the 0-based line of ``text`` at
    which each code cell starts, with ``cells`` its 1-based number among all cells, as Jupyter counts them),
    ``error`` why nothing could be read; ``installs`` what it installs with pip."""

    text: str
    starts: tuple[int, ...] = ()
    cells: tuple[int, ...] = ()
    error: str | None = None
    installs: tuple[PipInstall, ...] = ()  # what its lines install with pip, in order

    def cell_of(self, line: int) -> tuple[int, int] | None:
        """The (1-based cell number, 0-based line in that cell) of ``line`` of ``text``."""
        index = None
        for position, start in enumerate(self.starts):
            if start > line:
                break
            index = position
        if index is None:
            return None
        return self.cells[index], line - self.starts[index]


def _blank(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("%", "!")) or (stripped.rstrip().endswith("?") and not stripped.startswith("#"))


# cell magics whose body is Python (imports there are imports), and those whose body is a shell script
_PYTHON_BODY = frozenset({"capture", "time", "timeit", "prun"})
_SHELL_BODY = frozenset({"bash", "sh", "!"})
_SHELLS = frozenset({"bash", "sh", "zsh"})


def _cell_magic(first: str) -> tuple[str, str]:
    """(name, first argument) of a ``%%name arg …`` line."""
    words = first.strip()[2:].split()
    name = words[0] if words else ""
    if name.startswith("!"):  # `%%!` runs the cell in a shell
        return "!", ""
    return name, words[1] if len(words) > 1 else ""


def _command(cell_lines: list[str], index: int, base: int, installs: list[PipInstall], *, shell: bool) -> int:
    """Read the command starting at ``cell_lines[index]`` (a ``%``/``!`` line, or a line of a shell cell) and its
    continuation lines, recording what it installs with pip; how many lines it spans."""
    # imported here, on a notebook's first `%`/`!` line: most checks read no notebook, and the pip line reader
    # brings packaging's requirement parser
    from venvsense.imports.pipline import continues, pip_installs

    end = index + 1
    while end < len(cell_lines) and continues(cell_lines[end - 1]):
        end += 1
    pieces: list[tuple[int, str, int]] = []
    for at in range(index, end):
        text = cell_lines[at]
        column = 0
        if at == index and not shell:
            column = len(text) - len(text.lstrip()) + 1  # after `%` or `!`
            if text[column - 1] == "%" and text.startswith("%", column):
                return end - index  # a `%%` line inside a cell: not a command read here
        pieces.append((base + at, text, column))
    installs.extend(pip_installs(pieces))
    return end - index


def code_of_cells(cells: Iterable[tuple[bool, str]]) -> NotebookCode:
    """The code of a notebook whose cells are ``cells``, in order: (whether it is a code cell, its text)."""
    lines: list[str] = []
    starts: list[int] = []
    numbers: list[int] = []
    installs: list[PipInstall] = []
    for number, (is_code, text) in enumerate(cells, start=1):
        if not is_code:
            continue
        cell_lines = text.splitlines()
        starts.append(len(lines))
        numbers.append(number)
        base = len(lines)
        index = 0
        body = "python"
        if cell_lines and cell_lines[0].lstrip().startswith("%%"):
            name, argument = _cell_magic(cell_lines[0])
            body = ("shell" if name in _SHELL_BODY or (name == "script" and argument in _SHELLS) else
                    "python" if name in _PYTHON_BODY else "other")
            lines.append("")
            index = 1
        while index < len(cell_lines):
            line = cell_lines[index]
            if body == "other":
                lines.append("")  # a cell magic: the cell is another language
                index += 1
            elif body == "shell" or line.lstrip().startswith(("%", "!")):
                span = _command(cell_lines, index, base, installs, shell=body == "shell")
                lines.extend("" for _ in range(span))
                index += span
            else:
                lines.append("" if _blank(line) else line)
                index += 1
        lines.append("")  # the boundary: a cell's unclosed bracket never swallows the next cell's imports
    return NotebookCode("\n".join(lines) + "\n", tuple(starts), tuple(numbers), installs=tuple(installs))


def notebook_code(data: bytes | str) -> NotebookCode:
    """The code cells of the notebook ``data`` (see the module's text)."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return NotebookCode("", error="is not a notebook (not valid JSON)")
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        return NotebookCode("", error="is not a notebook (no cells)")
    return code_of_cells(_cell(cell) for cell in cells)


def _cell(cell: object) -> tuple[bool, str]:
    """(whether it is a code cell with text, its text) of one cell of a notebook's JSON."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return False, ""
    source = cell.get("source", "")
    text = "".join(part for part in source if isinstance(part, str)) if isinstance(source, list) else source
    return (True, text) if isinstance(text, str) else (False, "")


def scan_notebook(text: str) -> ScanResult:
    """The import scan of a notebook given as text (an editor's open notebook, ``notebook_json``)."""
    code = notebook_code(text)
    return ScanResult((), code.error) if code.error else scan_source(code.text)


def notebook_json(cells: Iterable[tuple[bool, str]]) -> str:
    """A notebook (nbformat 4) holding ``cells`` (whether each is code, its text): how an editor's open notebook
    is handed to a check in place of the file on disk (``notebook_code`` reads it back to the same code)."""
    return json.dumps({"cells": [{"cell_type": "code" if is_code else "markdown", "source": text}
                                 for is_code, text in cells], "nbformat": 4, "nbformat_minor": 5})


_CODES: MemoryCache[str, tuple[int, int, NotebookCode]] = MemoryCache(
    name="imports.notebook_code",
    key="a notebook's path as given (os.fspath)",
    invalidation="mtime (ns) and size checked on every use",
    owner="the process",
    limit=1_000,
)


def remember(name: str, mtime_ns: int, size: int, code: NotebookCode) -> None:
    """Keep the code the scan read (``imports.cache``), so that placing a finding in its cell reads nothing."""
    _CODES.put(name, (mtime_ns, size, code))


def read_notebook(path: Path) -> NotebookCode:
    """``notebook_code`` of the file at ``path`` (a regular file, at most ``MAX_NOTEBOOK_BYTES``), kept while
    the file's mtime and size stay the same: the CLI asks again for each finding's cell."""
    name = os.fspath(path)
    try:
        with open(name, "rb", opener=lambda p, flags: os.open(p, flags | getattr(os, "O_NONBLOCK", 0))) as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                return NotebookCode("", error="is not a regular file: its imports are not read")
            known = _CODES.get(name)
            if known is not None and known[0] == status.st_mtime_ns and known[1] == status.st_size:
                return known[2]
            data = read_capped(file, status.st_size, MAX_NOTEBOOK_BYTES)
    except OSError as error:
        return NotebookCode("", error=f"cannot be read ({error.strerror or error})")
    if len(data) > MAX_NOTEBOOK_BYTES:
        return NotebookCode("", error=f"is too large (more than {MAX_NOTEBOOK_BYTES >> 20} MB): its imports are "
                                      "not read")
    code = notebook_code(data)
    _CODES.put(name, (status.st_mtime_ns, status.st_size, code))
    return code

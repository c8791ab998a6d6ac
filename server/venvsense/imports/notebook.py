"""Jupyter notebooks (``.ipynb``) as modules: their code cells, one after the other, as the text the scanner reads.

A notebook is JSON (nbformat 4: ``cells``, each with ``cell_type`` and ``source``, a string or a list of lines).
Its code cells are joined in order with every cell boundary kept: each cell starts on a line of its own, and the
start of each is remembered, so a finding's line in the joined text maps back to (cell, line in the cell).
IPython syntax is blanked, line for line, so that it neither hides imports nor looks like Python: line magics
(``%matplotlib inline``, ``%pip install x``), shell escapes (``!pip install x``), help (``x?``), and a whole cell
under a cell magic (``%%bash``). Markdown and raw cells are not code. A file that is not a notebook (bad JSON,
no ``cells``) reads as no code, with the reason.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from venvsense.caches import MemoryCache

NOTEBOOK_SUFFIX = ".ipynb"
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024  # the module cap: outputs (images) make notebooks large, code rarely


@dataclass(frozen=True)
class NotebookCode:
    """The code of a notebook: ``text`` (its code cells joined), ``starts`` (the 0-based line of ``text`` at
    which each code cell starts, with ``cells`` its 1-based number among all cells, as Jupyter counts them),
    ``error`` why nothing could be read."""

    text: str
    starts: tuple[int, ...] = ()
    cells: tuple[int, ...] = ()
    error: str | None = None

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


def notebook_code(data: bytes) -> NotebookCode:
    """The code cells of the notebook ``data`` (see the module's text)."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return NotebookCode("", error="is not a notebook (not valid JSON)")
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        return NotebookCode("", error="is not a notebook (no cells)")
    lines: list[str] = []
    starts: list[int] = []
    numbers: list[int] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(part for part in source if isinstance(part, str)) if isinstance(source, list) else source
        if not isinstance(text, str):
            continue
        cell_lines = text.splitlines()
        starts.append(len(lines))
        numbers.append(number)
        if cell_lines and cell_lines[0].lstrip().startswith("%%"):
            lines.extend("" for _ in cell_lines)  # a cell magic: the cell is another language
            continue
        lines.extend("" if _blank(line) else line for line in cell_lines)
        lines.append("")  # the boundary: a cell's unclosed bracket never swallows the next cell's imports
    return NotebookCode("\n".join(lines) + "\n", tuple(starts), tuple(numbers))


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
            data = file.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as error:
        return NotebookCode("", error=f"cannot be read ({error.strerror or error})")
    if len(data) > MAX_NOTEBOOK_BYTES:
        return NotebookCode("", error=f"is too large (more than {MAX_NOTEBOOK_BYTES >> 20} MB): its imports are "
                                      "not read")
    code = notebook_code(data)
    _CODES.put(name, (status.st_mtime_ns, status.st_size, code))
    return code

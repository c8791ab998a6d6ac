"""VS305 installed-from-notebook: a notebook line that installs a distribution with pip (``%pip install x``,
``!pip install x``; ``imports.pipline`` reads them) which the project does not declare. The notebook works on the
machine it ran on, and on no other until the manifest says it: the finding stands on the requirement in the line,
its fix adds the requirement as written to the project's manifest (``fixes.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

from venvsense.declarations import Declaration
from venvsense.findings import Finding, make
from venvsense.imports.notebook import NOTEBOOK_SUFFIX, NotebookCode, notebook_code, read_notebook
from venvsense.text import Position, Range


def notebook_of(path: Path, buffers: Mapping[Path, str]) -> NotebookCode:
    """The code of the notebook at ``path``: the editor's open notebook when there is one, else the file."""
    text = buffers.get(path)
    return notebook_code(text) if text is not None else read_notebook(path)


def notebook_findings(files: Iterable[Path], buffers: Mapping[Path, str],
                      declarations: list[Declaration]) -> list[Finding]:
    """VS305 for each requirement the notebooks among ``files`` install with pip and nothing declares."""
    declared = {d.normalized for d in declarations if d.normalized}
    found: list[Finding] = []
    for path in files:
        if path.suffix != NOTEBOOK_SUFFIX:
            continue
        for install in notebook_of(path, buffers).installs:
            package = canonicalize_name(install.name)
            if package in declared:
                continue
            found.append(make(
                "VS305", f"'{install.name}' is installed from the notebook; declare it", path,
                Range(Position(install.line, install.start), Position(install.line, install.end)),
                package=package, requirement=install.requirement, distribution=install.name,
            ))
    return found

"""Open notebooks (LSP 3.17 notebook document sync) as a check reads them and as the editor shows findings.

An open notebook is a ``file:`` notebook document and its cells, each a text document of its own (VS Code's
``vscode-notebook-cell:`` URIs); pygls keeps both in its workspace. A check reads the open notebook instead of
the file on disk: its cells, in order, handed over as a notebook's JSON (``imports.notebook.notebook_json``)
under the notebook's path, as an editor buffer is. The engine places a notebook's findings on the lines of its
code cells joined (``NotebookCode``); ``NotebookView.place`` maps each back to its cell's URI and the line in
that cell, where the editor shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from venvsense.findings import Finding
from venvsense.imports.notebook import NotebookCode, code_of_cells, notebook_json
from venvsense.lsp import convert
from venvsense.text import Position, Range

PYTHON = "python"


@dataclass(frozen=True)
class NotebookView:
    """One open notebook as a check read it: its URI and version, its cells' URIs, versions, texts and whether
    each is a Python code cell (in the notebook's order), and the code the engine reads from them."""

    uri: str
    version: int
    cells: tuple[str, ...]
    cell_versions: tuple[int | None, ...]
    texts: tuple[str, ...]
    is_code: tuple[bool, ...]
    code: NotebookCode

    @property
    def json(self) -> str:
        """The notebook as the check reads it in place of the file."""
        return notebook_json(zip(self.is_code, self.texts, strict=True))

    def place(self, finding: Finding) -> tuple[str, Finding] | None:
        """The cell URI of ``finding`` (a finding of this notebook) and the finding with its range in that cell's
        lines; ``None`` when it stands on no cell (a finding about the notebook file as a whole: at line 0 of
        a notebook without code)."""
        found = self.code.cell_of(finding.range.start.line)
        if found is None:
            return None
        number, line = found
        shift = finding.range.start.line - line
        start, end = finding.range.start, finding.range.end
        shifted = Range(Position(line, start.column), Position(max(end.line - shift, line), end.column))
        return self.cells[number - 1], replace(finding, range=shifted)

    def cell_index(self, uri: str) -> int | None:
        try:
            return self.cells.index(uri)
        except ValueError:
            return None

    def cell_start(self, uri: str) -> int | None:
        """The line of the joined code at which the code cell ``uri`` starts."""
        index = self.cell_index(uri)
        if index is None or index + 1 not in self.code.cells:
            return None
        return self.code.starts[self.code.cells.index(index + 1)]


def view_of(workspace: Workspace, notebook: types.NotebookDocument) -> NotebookView:
    """The view of an open notebook: its cells' current texts (a code cell whose language is not Python is no
    code, as a markdown cell)."""
    uris: list[str] = []
    versions: list[int | None] = []
    texts: list[str] = []
    code: list[bool] = []
    for cell in notebook.cells:
        document = cell_document(workspace, cell.document)
        uris.append(cell.document)
        versions.append(document.version if document is not None else None)
        texts.append(document.source if document is not None else "")
        language = document.language_id if document is not None else None
        code.append(cell.kind == types.NotebookCellKind.Code and language in (PYTHON, None))
    return NotebookView(notebook.uri, notebook.version, tuple(uris), tuple(versions), tuple(texts), tuple(code),
                        code_of_cells(zip(code, texts, strict=True)))


def cell_document(workspace: Workspace, uri: str) -> TextDocument | None:
    """The text document of a cell (pygls keys its documents by the unquoted URI)."""
    document: TextDocument | None = workspace.text_documents.get(unquote(uri))
    return document


def open_notebooks(workspace: Workspace) -> Iterator[tuple[Path, types.NotebookDocument]]:
    """Each open notebook with a local path (an untitled notebook has none: it is no file of a project)."""
    for uri, notebook in list(workspace.notebook_documents.items()):
        path = convert.path_of(uri)
        if path is not None:
            yield path, notebook


def notebook_of_cell(workspace: Workspace, uri: str) -> tuple[Path, types.NotebookDocument] | None:
    """The open notebook (its path and document) holding the cell ``uri``."""
    notebook = workspace.get_notebook_document(cell_uri=uri)
    if notebook is None:
        return None
    path = convert.path_of(notebook.uri)
    return (path, notebook) if path is not None else None

"""Notebooks in the editor over a real LSP session (issue "Every Python file has an environment"): the server
declares notebook document sync for Jupyter notebooks, a notebook opened through `notebookDocument/didOpen` gets
its findings on the right cell's URI at the cell's line, an unsaved cell edit (or a new cell) changes them, the
VS305 fix on a cell adds the requirement to the manifest, `didClose` clears the cells; pulled diagnostics of a
cell too. Real project, real venv, real wheels, `venvsense serve` over stdio."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from lsp_session import ProjectMaker, Session, frame, lsp_session, raw_exchange
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="function")

CELLS = [
    ("markdown", "# Analysis\n\nimport not_code\n"),
    ("code", "%pip install -q beta==1.0\n"),
    ("code", "import alpha\nimport missing_module\n"),
]


def notebook_file(cells: list[tuple[str, str]]) -> str:
    return json.dumps({"cells": [{"cell_type": kind, "source": text, "metadata": {}} for kind, text in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@dataclass
class OpenNotebook:
    """A notebook as an editor holds it: its URI, version, and cells (URI, kind, text, version)."""

    session: Session
    path: Path
    cells: list[tuple[str, str, str]]  # (cell URI, "code" | "markdown", text)
    version: int = 1
    cell_versions: dict[str, int] = field(default_factory=dict)
    made: int = 0

    @property
    def uri(self) -> str:
        return self.path.as_uri()

    def cell_uri(self) -> str:
        self.made += 1
        return f"vscode-notebook-cell:{quote(str(self.path))}#W{self.made}sZmlsZQ%3D%3D"

    @staticmethod
    def item(uri: str, kind: str, text: str) -> types.TextDocumentItem:
        return types.TextDocumentItem(uri=uri, language_id="python" if kind == "code" else "markdown", version=1,
                                      text=text)

    @staticmethod
    def cell(uri: str, kind: str) -> types.NotebookCell:
        return types.NotebookCell(kind=types.NotebookCellKind.Code if kind == "code" else types.NotebookCellKind.Markup,
                                  document=uri)

    def open(self) -> None:
        self.session.client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(uri=self.uri, notebook_type="jupyter-notebook",
                                                     version=self.version,
                                                     cells=[self.cell(u, k) for u, k, _ in self.cells]),
            cell_text_documents=[self.item(u, k, t) for u, k, t in self.cells]))

    def edit(self, index: int, text: str) -> None:
        """Replace the text of cell ``index`` (unsaved)."""
        uri, kind, _ = self.cells[index]
        self.cells[index] = (uri, kind, text)
        self.version += 1
        self.cell_versions[uri] = self.cell_versions.get(uri, 1) + 1
        self.session.client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(version=self.version, uri=self.uri),
            change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(
                text_content=[types.NotebookDocumentCellContentChanges(
                    document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.cell_versions[uri]),
                    changes=[types.TextDocumentContentChangeWholeDocument(text=text)])]))))

    def insert(self, index: int, kind: str, text: str) -> str:
        """Insert a new cell before cell ``index``; its URI."""
        uri = self.cell_uri()
        self.cells.insert(index, (uri, kind, text))
        self.version += 1
        self.session.client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(version=self.version, uri=self.uri),
            change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(
                structure=types.NotebookDocumentCellChangeStructure(
                    array=types.NotebookCellArrayChange(start=index, delete_count=0, cells=[self.cell(uri, kind)]),
                    did_open=[self.item(uri, kind, text)])))))
        return uri

    def save(self) -> None:
        self.session.client.notebook_document_did_save(types.DidSaveNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=self.uri)))

    def close(self) -> None:
        self.session.client.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=self.uri),
            cell_text_documents=[types.TextDocumentIdentifier(uri=u) for u, _, _ in self.cells]))

    def diagnostics(self, index: int) -> list[types.Diagnostic]:
        return list(self.session.client.diagnostics.get(self.cells[index][0], []))

    def shown(self, index: int) -> list[tuple[str, int, int]]:
        """(code, line, character) of each diagnostic on cell ``index``."""
        return sorted((str(d.code), d.range.start.line, d.range.start.character) for d in self.diagnostics(index))

    def published_to(self, index: int) -> bool:
        return self.cells[index][0] in self.session.client.diagnostics

    async def wait(self, index: int, expected: list[tuple[str, int, int]]) -> list[types.Diagnostic]:
        await self.session.wait_for(lambda: self.published_to(index) and self.shown(index) == expected,
                                    what=f"cell {index + 1} to show {expected} (now {self.shown(index)})")
        return self.diagnostics(index)


def opened(session: Session, path: Path, cells: list[tuple[str, str]]) -> OpenNotebook:
    notebook = OpenNotebook(session, path, [])
    notebook.cells = [(notebook.cell_uri(), kind, text) for kind, text in cells]
    return notebook


async def test_the_server_declares_notebook_sync_for_jupyter_notebooks_with_python_cells(workspace: Path) -> None:
    workspace.mkdir()
    initialize = {"id": 1, "method": "initialize", "params": {
        "processId": None, "rootUri": workspace.as_uri(), "workspaceFolders": None,
        "capabilities": {"notebookDocument": {"synchronization": {}}}}}
    received = await raw_exchange(frame(initialize), lambda got: any(m.get("id") == 1 for m in got))
    answer = next(m for m in received if m.get("id") == 1)
    assert answer["result"]["capabilities"]["notebookDocumentSync"] == {
        "notebookSelector": [{"notebook": "jupyter-notebook", "cells": [{"language": "python"}]}], "save": True}


async def test_a_notebook_opened_through_notebook_sync_gets_its_findings_on_its_cells(
        make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0", "beta==1.0"),
                        files={"analysis.ipynb": notebook_file(CELLS)})
    async with lsp_session(workspace) as session:
        await session.wait_codes(root / "requirements.txt", lambda codes: codes == [])
        # not open: a notebook's findings are the command line's (its joined lines are no editor's)
        assert not [uri for uri in session.client.diagnostics if "ipynb" in uri]

        notebook = opened(session, root / "analysis.ipynb", CELLS)
        notebook.open()
        missing = await notebook.wait(2, [("VS301", 1, 7)])
        assert "missing_module" in missing[0].message
        installed = await notebook.wait(1, [("VS305", 0, 16)])
        assert installed[0].message == "'beta' is installed from the notebook; declare it"
        assert installed[0].severity == types.DiagnosticSeverity.Information
        assert (installed[0].range.end.line, installed[0].range.end.character) == (0, 25)
        assert not notebook.published_to(0)  # the markdown cell: no code, nothing to say

        # an unsaved edit of cell 3 changes its findings; the file on disk is not what is checked
        notebook.edit(2, "import alpha\n\n\nimport other_missing\n")
        moved = await notebook.wait(2, [("VS301", 3, 7)])
        assert "other_missing" in moved[0].message
        notebook.edit(2, "import alpha\n")
        await notebook.wait(2, [])

        # a new cell before the others: each finding stays on its own cell, at its own line
        first = notebook.insert(0, "code", "import alpha\nimport yet_another_missing\n")
        await notebook.wait(0, [("VS301", 1, 7)])
        assert notebook.cells[0][0] == first
        assert notebook.shown(2) == [("VS305", 0, 16)]

        # the VS305 fix on its cell adds the requirement, as written, to requirements.txt
        cell_uri = notebook.cells[2][0]
        actions = await session.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=cell_uri),
            range=types.Range(types.Position(0, 18), types.Position(0, 18)),
            context=types.CodeActionContext(diagnostics=notebook.diagnostics(2))))
        quick = [a for a in actions or [] if isinstance(a, types.CodeAction) and a.kind == "quickfix"]
        assert [a.title for a in quick] == ["Add beta==1.0 to requirements.txt"]
        action = quick[0]
        assert action.diagnostics is not None and action.diagnostics[0].range.start.line == 0
        assert action.edit is not None and action.edit.changes is not None
        assert list(action.edit.changes) == [(root / "requirements.txt").as_uri()]
        session.apply(action.edit)
        assert session.texts[(root / "requirements.txt").as_uri()] == "alpha==1.0\nbeta==1.0\n"
        await notebook.wait(2, [])

        notebook.save()
        # closing clears every cell it published to
        notebook.close()
        await session.wait_for(lambda: not any(session.client.diagnostics.get(u) for u, _, _ in notebook.cells),
                               what="the closed notebook's cells to be cleared")


async def test_a_pull_client_asks_a_cell_for_its_diagnostics(make_project: ProjectMaker, workspace: Path) -> None:
    root = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",),
                        files={"analysis.ipynb": notebook_file(CELLS)})
    async with lsp_session(workspace, pull=True) as session:
        notebook = opened(session, root / "analysis.ipynb", CELLS)
        notebook.open()

        async def pulled(index: int) -> list[tuple[str, int, int]]:
            result = await session.client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=notebook.cells[index][0])))
            assert isinstance(result, types.RelatedFullDocumentDiagnosticReport)
            return [(str(d.code), d.range.start.line, d.range.start.character) for d in result.items]

        assert await pulled(2) == [("VS301", 1, 7)]
        assert await pulled(1) == [("VS305", 0, 16)]
        notebook.edit(2, "import alpha\n")
        assert await pulled(2) == []
        assert session.published == []


async def test_a_notebook_of_a_nested_project_shows_only_that_projects_findings(
        make_project: ProjectMaker, workspace: Path) -> None:
    outer = make_project(requirements="alpha==1.0\n", installed=("alpha==1.0",))
    inner = outer / "inner"
    inner.mkdir()
    (inner / "requirements.txt").write_text("alpha==1.0\n")
    (inner / "nb.ipynb").write_text(notebook_file(CELLS))
    async with lsp_session(workspace) as session:
        await session.wait_codes(inner / "requirements.txt", lambda codes: codes == [])
        notebook = opened(session, inner / "nb.ipynb", CELLS)
        notebook.open()
        await notebook.wait(1, [("VS305", 0, 16)])
        # the outer project's checks (an edit of its manifest) never clear the inner project's cells
        session.open(outer / "requirements.txt")
        session.change(outer / "requirements.txt", "alpha==1.0\n\n")
        await session.wait_for(lambda: any(p.uri == (outer / "requirements.txt").as_uri() and p.version == 2
                                           for p in session.published), what="the outer project's re-check")
        assert notebook.shown(1) == [("VS305", 0, 16)]

"""Notebooks in the editor (LSP 3.17 notebook document sync): ``notebookDocument/didOpen|didChange|didSave|
didClose``. The server declares ``notebookDocumentSync`` for Jupyter notebooks whose cells are Python; pygls keeps
each open notebook and its cells' texts in its workspace, and each event here checks the notebook's project
again with the open notebook in place of the file (``lsp/notebooks.py``). Diagnostics go to each cell's URI at
the cell's lines (``Publisher.publish_cells``); code actions on a cell are the fixes of the findings there."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from venvsense.findings import Finding
from venvsense.lsp import convert, fixes
from venvsense.lsp.context import Context
from venvsense.lsp.features.documents import projects_of_document
from venvsense.lsp.notebooks import PYTHON, notebook_of_cell
from venvsense.text import Position, Range

NOTEBOOK_TYPE = "jupyter-notebook"

OPTIONS = types.NotebookDocumentSyncOptions(
    notebook_selector=[types.NotebookDocumentFilterWithCells(
        notebook=NOTEBOOK_TYPE, cells=[types.NotebookCellLanguage(language=PYTHON)])],
    save=True,
)


def _changed(ctx: Context, uri: str) -> None:
    path = convert.path_of(uri)
    if path is None:
        return  # an untitled notebook is no file of a project
    for state in projects_of_document(ctx, path):
        ctx.scheduler.request(state, edited=path)


def did_open(ctx: Context, params: types.DidOpenNotebookDocumentParams) -> None:
    _changed(ctx, params.notebook_document.uri)


def did_change(ctx: Context, params: types.DidChangeNotebookDocumentParams) -> None:
    _changed(ctx, params.notebook_document.uri)


def did_save(ctx: Context, params: types.DidSaveNotebookDocumentParams) -> None:
    """Saved: the file on disk is now what the open notebook is, which the last check read already; nothing
    changes until the notebook is closed or edited again."""


def did_close(ctx: Context, params: types.DidCloseNotebookDocumentParams) -> None:
    """Closed: its cells are cleared, and its project is checked with the file on disk again."""
    path = convert.path_of(params.notebook_document.uri)
    if path is None:
        return
    ctx.publisher.forget_notebook(path, [cell.uri for cell in params.cell_text_documents])
    for state in ctx.session.projects_reading(path):
        ctx.scheduler.request(state, edited=path)


def is_cell(ctx: Context, uri: str) -> bool:
    """Whether ``uri`` is a cell of an open notebook (or was one, when its diagnostics were published)."""
    return notebook_of_cell(ctx.session.workspace, uri) is not None or ctx.publisher.cell_findings(uri) is not None


async def cell_diagnostic(ctx: Context, uri: str) -> types.RelatedFullDocumentDiagnosticReport:
    """A pulled cell's diagnostics, once its notebook's project is checked."""
    found = notebook_of_cell(ctx.session.workspace, uri)
    if found is not None:
        await ctx.discovery.discovered.wait()  # the notebook's project is known
        states = projects_of_document(ctx, found[0])
        for state in states:
            if not state.current and not state.running and state.timer is None:
                ctx.scheduler.request(state)
        await ctx.scheduler.wait_current(states)
    return types.RelatedFullDocumentDiagnosticReport(items=ctx.publisher.cell_diagnostics(uri))


def cell_code_actions(ctx: Context, params: types.CodeActionParams) -> list[types.CodeAction]:
    """The fixes of the findings on a cell that touch the asked range (or that the client names), each naming
    the cell's diagnostic."""
    uri = params.text_document.uri
    publisher = ctx.publisher
    found = publisher.cell_findings(uri)
    if found is None:
        return []
    path, shown = found
    view = publisher.notebook_views.get(path)
    state = ctx.session.project_of(path)
    if view is None or state is None or state.report is None:
        return []
    index = view.cell_index(uri)
    start_line = view.cell_start(uri)
    if index is None or start_line is None:
        return []
    cell = convert.PositionConverter(ctx.session.workspace.position_codec, view.texts[index].splitlines())
    start, end = cell.from_client(params.range.start), cell.from_client(params.range.end)
    diagnosed = {(str(d.code), cell.from_client(d.range.start).line, cell.from_client(d.range.start).column)
                 for d in params.context.diagnostics if d.source == convert.SOURCE}
    session = ctx.session

    def converter_for(file: Path) -> convert.PositionConverter:
        return cell if file == path else session.converter_for(file)

    context = fixes.Context(report=state.report, project_uri=convert.uri_of(state.root),
                            trusted=session.settings.trusted, text_of=session.text_of,
                            converter_for=converter_for, codec=session.workspace.position_codec)
    out: list[types.CodeAction] = []
    seen: set[str] = set()
    if fixes.wanted_kind(types.CodeActionKind.QuickFix, params.context.only):
        for placed in shown:
            at = (placed.code, placed.range.start.line, placed.range.start.column)
            if at not in diagnosed and not convert.overlaps(placed.range, start, end):
                continue
            for action in fixes.actions_for(_in_report(placed, start_line), context):
                if action.title not in seen:
                    seen.add(action.title)
                    action.diagnostics = [convert.diagnostic(placed, cell)]
                    out.append(action)
    if shown and fixes.wanted_kind(fixes.FIX_ALL, params.context.only):
        fix_all = fixes.fix_all_action(context)
        if fix_all is not None:
            out.append(fix_all)
    return out


def _in_report(placed: Finding, start_line: int) -> Finding:
    """A finding placed on a cell, back at its lines in the notebook's joined code (as the report has it)."""
    start, end = placed.range.start, placed.range.end
    return Finding(placed.code, placed.message, placed.file,
                   Range(Position(start.line + start_line, start.column), Position(end.line + start_line, end.column)),
                   placed.severity, placed.package, placed.declaration_set, placed.data, placed.secondary)

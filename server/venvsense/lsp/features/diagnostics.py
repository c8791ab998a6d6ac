"""Pulled diagnostics (``textDocument/diagnostic``, ``workspace/diagnostic``): answered from the latest reports,
once the checks they wait for are current."""

from __future__ import annotations

from lsprotocol import types

from venvsense.lsp import convert
from venvsense.lsp.context import Context
from venvsense.lsp.features.documents import projects_of_document
from venvsense.lsp.features.notebooks import cell_diagnostic, is_cell

OPTIONS = types.DiagnosticOptions(identifier="venvsense", inter_file_dependencies=True, workspace_diagnostics=True)


async def document_diagnostic(ctx: Context,
                              params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
    if is_cell(ctx, params.text_document.uri):
        return await cell_diagnostic(ctx, params.text_document.uri)
    path = ctx.session.path_of_document(params.text_document.uri)
    if path is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    states = projects_of_document(ctx, path)
    for state in states:
        if not state.current and not state.running and state.timer is None:
            ctx.scheduler.request(state)
    await ctx.scheduler.wait_shown(states, path)
    return types.RelatedFullDocumentDiagnosticReport(items=ctx.publisher.diagnostics_for(path))


async def workspace_diagnostic(ctx: Context,
                               params: types.WorkspaceDiagnosticParams) -> types.WorkspaceDiagnosticReport:
    await ctx.discovery.discovered.wait()
    await ctx.scheduler.wait_current(list(ctx.session.projects.values()))
    items: list[types.WorkspaceDocumentDiagnosticReport] = []
    for path in sorted(ctx.publisher.reported):
        document = ctx.session.open_document(path)
        items.append(types.WorkspaceFullDocumentDiagnosticReport(
            uri=document.uri if document else convert.uri_of(path),
            items=ctx.publisher.diagnostics_for(path),
            version=document.version if document else None,
        ))
    return types.WorkspaceDiagnosticReport(items=items)

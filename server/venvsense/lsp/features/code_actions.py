"""Code actions (``textDocument/codeAction``): the findings under the cursor and the client's diagnostics,
handed to the fix policy (``venvsense.lsp.fixes``)."""

from __future__ import annotations

from lsprotocol import types

from venvsense.lsp import convert, fixes
from venvsense.lsp.context import Context
from venvsense.lsp.features.notebooks import cell_code_actions, is_cell
from venvsense.text import Range

OPTIONS = types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, fixes.FIX_ALL])


async def code_action(ctx: Context, params: types.CodeActionParams) -> list[types.CodeAction]:
    session = ctx.session
    if is_cell(ctx, params.text_document.uri):
        return cell_code_actions(ctx, params)
    path = session.path_of_document(params.text_document.uri)
    state = session.project_of(path) if path else None
    if state is not None and state.report is None and not state.checked:
        # the diagnostics shown before the project's first check ends (``early.py``) have their fixes once it
        # has: the fix policy reads its report
        await ctx.scheduler.wait_current([state])
    if path is None or state is None or state.report is None:
        return []
    converter = session.converter_for(path)
    context = fixes.Context(
        report=state.report,
        project_uri=convert.uri_of(state.root),
        trusted=session.settings.trusted,
        text_of=session.text_of,
        converter_for=session.converter_for,
        codec=session.workspace.position_codec,
    )
    start = converter.from_client(params.range.start)
    end = converter.from_client(params.range.end)
    diagnosed = {
        (str(d.code), Range(converter.from_client(d.range.start), converter.from_client(d.range.end)))
        for d in params.context.diagnostics if d.source == convert.SOURCE
    }
    return fixes.code_actions(context, path, start, end, params.context.only, diagnosed)

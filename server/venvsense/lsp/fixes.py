"""Code actions: the engine's fix policy (``venvsense.fixes``) turned into LSP CodeActions — commands with the
project's URI, text edits in the client's position encoding."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from venvsense import fixes
from venvsense.check import ProjectReport
from venvsense.findings import Finding
from venvsense.lsp import convert
from venvsense.protocol import FIX_ALL_KIND
from venvsense.text import Position, Range

FIX_ALL = FIX_ALL_KIND


@dataclass(frozen=True)
class Context:
    """What building actions needs besides the report: the editor's text of a file, position conversion."""

    report: ProjectReport
    project_uri: str
    trusted: bool
    text_of: Callable[[Path], str | None]
    converter_for: Callable[[Path], convert.PositionConverter]
    codec: PositionCodec


def _command(fix: fixes.Fix, title: str, ctx: Context) -> types.Command | None:
    if fix.command is None:
        return None
    return types.Command(title=title, command=fix.command, arguments=[{"project": ctx.project_uri, **fix.arguments}])


def _workspace_edit(fix: fixes.Fix, ctx: Context) -> types.WorkspaceEdit | None:
    """The fix's edits in the client's encoding, converted against the same text they were computed from."""
    if not fix.edits:
        return None
    if fix.creates is not None:  # a new file: the client creates it (refusing when it exists), then fills it
        uri = convert.uri_of(fix.creates)
        start = types.Position(line=0, character=0)
        return types.WorkspaceEdit(document_changes=[
            types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False)),
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[types.TextEdit(range=types.Range(start=start, end=start), new_text=edit.new_text)
                       for edit in fix.edits]),
        ])
    changes: dict[str, list[types.TextEdit]] = {}
    for edit in fix.edits:
        converter = convert.PositionConverter(ctx.codec, (ctx.text_of(edit.file) or "").splitlines())
        changes.setdefault(convert.uri_of(edit.file), []).append(
            types.TextEdit(range=converter.range_to_client(edit.range), new_text=edit.new_text))
    return types.WorkspaceEdit(changes=changes)


def _quickfix(fix: fixes.Fix, finding: Finding, ctx: Context) -> types.CodeAction:
    return types.CodeAction(
        title=fix.title, kind=types.CodeActionKind.QuickFix,
        diagnostics=[convert.diagnostic(finding, ctx.converter_for(finding.file))],
        command=_command(fix, fix.title, ctx), edit=_workspace_edit(fix, ctx), is_preferred=fix.preferred or None,
    )


def actions_for(finding: Finding, ctx: Context) -> list[types.CodeAction]:
    """The quick fixes for one finding, the process-running ones only when trusted."""
    return [_quickfix(fix, finding, ctx)
            for fix in fixes.finding_fixes(ctx.report, finding, trusted=ctx.trusted, text_of=ctx.text_of)]


def fix_all_action(ctx: Context) -> types.CodeAction | None:
    """``source.fixAll.venvsense``: what ``venvsense fix`` does, as one command (trusted workspaces only)."""
    fix = fixes.fix_all(ctx.report, trusted=ctx.trusted)
    if fix is None:
        return None
    # The source-action menu mixes every tool's actions: the action's title names venvsense, the command's not.
    return types.CodeAction(title=f"venvsense: {fix.title}", kind=FIX_ALL, command=_command(fix, fix.title, ctx))


def wanted_kind(kind: str, only: Sequence[str] | None) -> bool:
    if not only:
        return True
    return any(kind == k or kind.startswith(k + ".") for k in only)


def code_actions(ctx: Context, path: Path, start: Position, end: Position, only: Sequence[str] | None,
                 diagnosed: Collection[tuple[str, Range]] = ()) -> list[types.CodeAction]:
    """The actions for the findings of ``path`` that touch ``start``–``end`` or that the client named in its
    context (``diagnosed``: code and range of each diagnostic it sent)."""
    out: list[types.CodeAction] = []
    if wanted_kind(types.CodeActionKind.QuickFix, only):
        seen: set[str] = set()
        for finding in ctx.report.findings:
            if finding.file != path:
                continue
            if (finding.code, finding.range) not in diagnosed and not convert.overlaps(finding.range, start, end):
                continue
            for action in actions_for(finding, ctx):
                if action.title not in seen:
                    seen.add(action.title)
                    out.append(action)
    if wanted_kind(FIX_ALL, only) and (only or any(f.file == path for f in ctx.report.findings)):
        fix_all = fix_all_action(ctx)
        if fix_all is not None:
            out.append(fix_all)
    return out

"""Inlay hints (``textDocument/inlayHint``): after each declaration, what the venv holds for it — the installed
version (``2.2.3``), ``not installed``, or ``2.2.3 ≠ ==1.5.3`` when it does not satisfy the specifier — in
requirement and constraint files, ``pyproject.toml`` arrays and Poetry tables, and a script's PEP 723 block.

Off with the ``inlayHints.installed`` setting. The hints answer the check of the newest buffer (a request waits
briefly for it); ``refresh.py`` asks the client to fetch them again when the venv changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from venvsense.check import ProjectReport
from venvsense.declarations import Declaration
from venvsense.lsp import convert
from venvsense.lsp.context import Context
from venvsense.lsp.features.declared import current_target, declarations_in, installed_label, installed_of
from venvsense.lsp.features.scriptblock import SCRIPT_SET
from venvsense.text import Position

OPTIONS = types.InlayHintOptions(resolve_provider=False)
_QUOTES = "\"'"


def _tooltip(report: ProjectReport, declaration: Declaration, label: str) -> str:
    env = report.environment
    where = f"`{env.path}`" if env is not None else "the venv"
    dist = installed_of(report, declaration)
    if dist is None:
        text = f"**{declaration.name}** is not installed in {where}"
        if label.endswith("(marker false here)"):
            text += f": its marker `{declaration.marker}` is false for this venv"
    else:
        text = f"**{dist.name}** {dist.version} is installed in {where}"
        if dist.editable:
            text += " (editable)"
        if "≠" in label:
            text += f"; it does not satisfy `{declaration.specifier}`"
    if declaration.declaration_set == SCRIPT_SET:
        text += "\n\nThis is the project's venv: `uv run` gives the script an environment of its own."
    return text


def _after(declaration: Declaration, lines: Sequence[str] | None) -> Position:
    """Where the hint goes: after the declaration, past the closing quote of a TOML string."""
    end = declaration.range.end
    if lines is not None and end.line < len(lines):
        line = lines[end.line]
        if end.column < len(line) and line[end.column] in _QUOTES:
            return Position(end.line, end.column + 1)
    return end


def hints(report: ProjectReport, declarations: Sequence[Declaration], lines: Sequence[str] | None,
          first: int, last: int) -> list[tuple[Position, str, str]]:
    """(position, label, tooltip) of each declaration ending on lines ``first``…``last``."""
    found: list[tuple[Position, str, str]] = []
    for declaration in declarations:
        if not first <= declaration.range.end.line <= last:
            continue
        label = installed_label(report, declaration)
        if label is None:
            continue
        found.append((_after(declaration, lines), label, _tooltip(report, declaration, label)))
    return found


async def inlay_hint(ctx: Context, params: types.InlayHintParams) -> list[types.InlayHint]:
    target = await current_target(ctx, params.text_document.uri)
    if target is None or not ctx.session.server_settings_for(target.state.root).inlay_hints:
        return []
    declarations = declarations_in(ctx, target)
    if not declarations:
        return []
    session = ctx.session
    lines = session.lines_for(target.path)
    converter = convert.PositionConverter(session.workspace.position_codec, lines)
    first = converter.from_client(params.range.start).line
    last = converter.from_client(params.range.end).line
    return [types.InlayHint(position=converter.to_client(position), label=label, padding_left=True,
                            tooltip=types.MarkupContent(kind=types.MarkupKind.Markdown, value=tooltip))
            for position, label, tooltip in hints(target.report, declarations, lines, first, last)]

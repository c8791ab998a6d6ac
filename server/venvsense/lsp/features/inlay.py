"""Inlay hints (``textDocument/inlayHint``): after each declaration, what the venv holds for it — the installed
version (``2.2.3``), ``not installed``, or ``2.2.3 ≠ ==1.5.3`` when it does not satisfy the specifier — in
requirement and constraint files, ``pyproject.toml`` arrays and Poetry tables, and a script's PEP 723 block.

Off with the ``inlayHints.installed`` setting. The hints answer the check of the newest buffer (a request waits
briefly for it); ``refresh.py`` asks the client to fetch them again when the venv changes. Each hint's JSON is kept
(``lsp.features.inlay_hints``) while the venv state holds, so a keystroke's new report costs a lookup per line, and
the answer goes out as that text (``RawResult``), not through pygls' conversion.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types

from venvsense.caches import MemoryCache
from venvsense.check import ProjectReport
from venvsense.declarations import Declaration
from venvsense.environment import Environment, Installed
from venvsense.lsp import convert
from venvsense.lsp.context import Context
from venvsense.lsp.features.declared import current_target, declarations_in, installed_label, installed_of, may_declare
from venvsense.lsp.features.scriptblock import SCRIPT_SET
from venvsense.lsp.jsonrpc import RawResult
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


def hint_json(report: ProjectReport, declaration: Declaration, lines: Sequence[str] | None,
              converter: convert.PositionConverter) -> str:
    """One declaration's hint as JSON text (``""``: none)."""
    label = installed_label(report, declaration)
    if label is None:
        return ""
    at = converter.to_client(_after(declaration, lines))
    return json.dumps({"position": {"line": at.line, "character": at.character}, "label": label,
                       "paddingLeft": True,
                       "tooltip": {"kind": "markdown", "value": _tooltip(report, declaration, label)}})


# Each declaration's hint as JSON text, kept while the venv state is the same: a keystroke's check makes a new
# report, but its unchanged declarations (equal by value, range included) and their lines give the same hint.
HINTS: MemoryCache[Path, tuple[Installed | None, Environment | None, str, dict[tuple[Declaration, str], str]]] = (
    MemoryCache(
        name="lsp.features.inlay_hints",
        key="a project root; within it a declaration (by value, its range included) and its line's text",
        invalidation="used only for the same Installed (identity), Environment and position encoding",
        owner="the language server (inlay hints)",
        limit=64,
    ))
_MAX_KEPT = 20_000  # hints kept per project (then the project's are dropped and made again)


def hints_json(report: ProjectReport, declarations: Sequence[Declaration], lines: Sequence[str] | None,
               converter: convert.PositionConverter, encoding: str, first: int, last: int) -> str:
    """The JSON array of the hints of each declaration ending on lines ``first``…``last``."""
    root = report.project.root
    entry = HINTS.get(root)
    if (entry is None or entry[0] is not report.installed or entry[1] != report.environment
            or entry[2] != encoding or len(entry[3]) > _MAX_KEPT):
        entry = HINTS.put(root, (report.installed, report.environment, encoding, {}))
    kept = entry[3]
    count = len(lines) if lines is not None else 0
    parts = []
    for declaration in declarations:
        line = declaration.range.end.line
        if not first <= line <= last:
            continue
        key = (declaration, lines[line] if line < count and lines is not None else "")
        text = kept.get(key)
        if text is None:
            text = kept[key] = hint_json(report, declaration, lines, converter)
        if text:
            parts.append(text)
    return f"[{', '.join(parts)}]"


async def inlay_hint(ctx: Context, params: types.InlayHintParams) -> Any:
    if not may_declare(ctx, params.text_document.uri):
        return []
    target = await current_target(ctx, params.text_document.uri)
    if target is None or not ctx.session.server_settings_for(target.state.root).inlay_hints:
        return []
    session, path = ctx.session, target.path
    lines = session.lines_for(path)
    codec = session.workspace.position_codec
    converter = convert.PositionConverter(codec, lines)
    first = converter.from_client(params.range.start).line
    last = converter.from_client(params.range.end).line
    text = hints_json(target.report, declarations_in(ctx, target), lines, converter, str(codec.encoding), first,
                      last)
    return RawResult(text) if ctx.client.raw_protocol is not None else json.loads(text)

"""Code lens (``textDocument/codeLens``), off by default (``codeLens`` setting): above each declaration, how many
files of the project import it and what the venv holds — ``imported by 12 files · installed 2.2.3``. A line with
several declarations (a TOML array on one line) names each one.

The lenses carry their title only (an empty command: editors show it as text); "Find all references" on the
declaration lists the import sites.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from lsprotocol import types

from venvsense.check import ProjectReport
from venvsense.declarations import Declaration
from venvsense.lsp.context import Context
from venvsense.lsp.features.declared import (
    as_json,
    current_target,
    declarations_in,
    document_version,
    importers,
    installed_label,
    may_declare,
    per_report,
)

OPTIONS = types.CodeLensOptions(resolve_provider=False)


def lens_title(report: ProjectReport, declaration: Declaration) -> str | None:
    parts = []
    files = importers(report, declaration.normalized) if declaration.normalized else None
    if files is not None:
        count = len(files)
        parts.append(f"imported by {count} file{'' if count == 1 else 's'}" if count else "not imported")
    label = installed_label(report, declaration)
    if label is not None:
        parts.append(label if label.startswith("not installed") else f"installed {label}")
    return " · ".join(parts) or None


async def code_lens(ctx: Context, params: types.CodeLensParams) -> Any:
    if not may_declare(ctx, params.text_document.uri):
        return []
    target = await current_target(ctx, params.text_document.uri)
    if target is None or not ctx.session.server_settings_for(target.state.root).code_lens:
        return []
    path = target.path

    def make() -> Any:
        declarations = declarations_in(ctx, target)
        per_line = Counter(d.range.start.line for d in declarations)
        converter = ctx.session.converter_for(path)
        found = []
        for declaration in declarations:
            title = lens_title(target.report, declaration)
            if title is None:
                continue
            if per_line[declaration.range.start.line] > 1:
                title = f"{declaration.name}: {title}"
            found.append({"range": converter.range_json(declaration.range),
                          "command": {"title": title, "command": ""}})
        return as_json(ctx, found)

    return per_report(target.report, f"lens {path}", make, key=document_version(ctx, path))

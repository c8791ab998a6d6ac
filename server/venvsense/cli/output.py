"""What the command line prints: a finding as a text line or as JSON, the environment as JSON, and the one way
the CLI shows a path relative to a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from venvsense.findings import Finding
from venvsense.model import paths

SCHEMA = 1  # the version of the JSON documents ``check`` and ``show`` print (docs: the CLI's JSON contract)


def relative_path(path: Path, base: Path) -> str:
    """How the CLI shows a path: relative to ``base``, with ``..`` steps when outside it."""
    return paths.relative_path(path, base, climb=True)


def _position(line: int, column: int) -> dict[str, int]:
    return {"line": line + 1, "column": column + 1}


def finding_json(finding: Finding, root: Path) -> dict[str, Any]:
    """One finding of ``check --format json`` (1-based positions; the file relative to the project root)."""
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.label,
        "message": finding.message,
        "file": relative_path(finding.file, root),
        "range": {
            "start": _position(finding.range.start.line, finding.range.start.column),
            "end": _position(finding.range.end.line, finding.range.end.column),
        },
        "package": finding.package,
        "set": finding.declaration_set,
    }


def finding_line(finding: Finding, cwd: Path) -> str:
    """The text format of one finding: ``path:line:column: CODE message`` (1-based; path relative to cwd)."""
    start = finding.range.start
    return f"{relative_path(finding.file, cwd)}:{start.line + 1}:{start.column + 1}: {finding.code} {finding.message}"


def write_json(projects: list[dict[str, Any]], out: TextIO) -> None:
    """The JSON document of ``check`` and ``show``: the schema version and one entry per project."""
    json.dump({"schema": SCHEMA, "projects": projects}, out, indent=2)
    out.write("\n")

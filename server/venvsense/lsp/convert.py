"""Conversions between the engine and the protocol: findings → diagnostics, paths ↔ URIs, positions.

The engine counts columns in Unicode code points; the client counts in the position encoding negotiated at
``initialize`` (UTF-16 unless the client offered UTF-32 or UTF-8). Converting needs the text of the line,
taken from the same snapshot the analysis read (an editor buffer, else the file on disk).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import PositionCodec, ServerTextPosition

from venvsense.findings import CATALOGUE, Finding, Severity
from venvsense.text import Position, Range

SOURCE = "venvsense"

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}
# An unused dependency is dead weight: clients fade it out.
TAGS = {"VS303": [types.DiagnosticTag.Unnecessary]}


def uri_of(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def path_of(uri: str) -> Path | None:
    """The absolute local path of a ``file:`` URI, or ``None`` for other schemes."""
    if not uri.startswith("file:"):
        return None
    found = to_fs_path(uri)
    return Path(os.path.abspath(found)) if found else None


def read_lines(path: Path) -> Sequence[str] | None:
    """The lines of a file on disk (for position conversion), ``None`` when unreadable."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if data.isascii():
        return _AsciiLines()
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff").splitlines()


class _AsciiLines(Sequence[str]):
    """Stands for the lines of a pure-ASCII text: any column is the same in every encoding."""

    def __getitem__(self, index: Any) -> Any:
        raise IndexError(index)

    def __len__(self) -> int:
        return 0


class PositionConverter:
    """Converts engine positions (code points) to client positions and back for one file's text."""

    def __init__(self, codec: PositionCodec, lines: Sequence[str] | None) -> None:
        self._codec = codec
        self._lines = lines
        self._identity = (
            lines is None
            or isinstance(lines, _AsciiLines)
            or codec.encoding == types.PositionEncodingKind.Utf32
        )

    def plain(self, range_: Range) -> bool:
        """Whether the client's range is the engine's, whatever the rest of the text (ASCII lines)."""
        lines = self._lines
        if self._identity or lines is None:
            return True
        count = len(lines)
        start, end = range_.start.line, range_.end.line
        return (start >= count or lines[start].isascii()) and (end == start or end >= count or lines[end].isascii())

    def to_client(self, position: Position) -> types.Position:
        if self._identity or self._lines is None or position.line >= len(self._lines):
            return types.Position(position.line, position.column)
        line = self._lines[position.line]
        if line.isascii():
            return types.Position(position.line, position.column)
        return self._codec.position_to_client_units(
            self._lines, ServerTextPosition(position.line, position.column)
        )

    def range_to_client(self, range_: Range) -> types.Range:
        return types.Range(self.to_client(range_.start), self.to_client(range_.end))

    def range_json(self, range_: Range) -> dict[str, dict[str, int]]:
        """The range as protocol JSON, without building protocol objects (the publish path is hot)."""
        start, end = range_.start, range_.end
        if not self._identity:
            client_start, client_end = self.to_client(start), self.to_client(end)
            return {"start": {"line": client_start.line, "character": client_start.character},
                    "end": {"line": client_end.line, "character": client_end.character}}
        return {"start": {"line": start.line, "character": start.column},
                "end": {"line": end.line, "character": end.column}}

    def from_client(self, position: types.Position) -> Position:
        if self._identity or self._lines is None or position.line >= len(self._lines):
            return Position(position.line, position.character)
        line = self._lines[position.line]
        if line.isascii():
            return Position(position.line, position.character)
        server = self._codec.position_from_client_units(
            self._lines, types.Position(position.line, position.character)
        )
        return Position(server.line, server.character)


def _data(finding: Finding) -> dict[str, Any]:
    data: dict[str, Any] = {"name": finding.name if finding.code in CATALOGUE else finding.code}
    if finding.package:
        data["package"] = finding.package
    if finding.declaration_set:
        data["set"] = finding.declaration_set
    return data


def diagnostic_json(finding: Finding, converter: PositionConverter) -> dict[str, Any]:
    """A finding as a protocol ``Diagnostic`` in JSON form (what ``diagnostic`` builds, serialized)."""
    code = CATALOGUE.get(finding.code)
    item: dict[str, Any] = {
        "range": converter.range_json(finding.range),
        "message": finding.message,
        "severity": int(SEVERITIES.get(finding.severity, types.DiagnosticSeverity.Information)),
        "code": finding.code,
        "source": SOURCE,
        "data": _data(finding),
    }
    if code:
        item["codeDescription"] = {"href": code.anchor}
    if finding.code in TAGS:
        item["tags"] = [int(tag) for tag in TAGS[finding.code]]
    return item


def diagnostic(finding: Finding, converter: PositionConverter) -> types.Diagnostic:
    code = CATALOGUE.get(finding.code)
    data = _data(finding)
    return types.Diagnostic(
        range=converter.range_to_client(finding.range),
        message=finding.message,
        severity=SEVERITIES.get(finding.severity, types.DiagnosticSeverity.Information),
        code=finding.code,
        code_description=types.CodeDescription(href=code.anchor) if code else None,
        source=SOURCE,
        tags=TAGS.get(finding.code),
        data=data,
    )


def overlaps(range_: Range, start: Position, end: Position) -> bool:
    """Whether ``range_`` touches the span ``start``–``end`` (an empty span touches what it sits in)."""
    return not (range_.end < start or end < range_.start)

"""The other way to fix a version mismatch: rewrite the declared specifier to accept the installed version.

The result is a text edit (file, range, new text) for the editor or the CLI to apply; nothing here writes to
disk. Only the specifier inside the declaration's range is replaced, so extras, markers, comments, quoting
and formatting stay as they were. In a requirements file the line becomes ``pkg==<installed>`` (a pin, as
requirements files usually are); in ``pyproject.toml`` and ``setup.cfg`` ``pkg>=<installed>`` (a floor,
as libraries declare).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense.analysis import ProjectReport
from venvsense.declarations import Declaration
from venvsense.text import Position, Range, UnreadableFile, read_text

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_EXTRAS = re.compile(r"\s*\[[^\]]*\]")


@dataclass(frozen=True)
class TextEdit:
    """Replace ``range`` of ``file`` with ``new_text`` (0-based lines, code-point columns, end exclusive)."""

    file: Path
    range: Range
    new_text: str
    description: str


def _offsets(text: str) -> list[int]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def offset_of(text: str, position: Position, starts: Sequence[int] | None = None) -> int:
    starts = starts if starts is not None else _offsets(text)
    line = min(position.line, len(starts) - 1)
    return min(starts[line] + position.column, len(text))


def position_of(text: str, offset: int, starts: Sequence[int] | None = None) -> Position:
    starts = starts if starts is not None else _offsets(text)
    line = bisect.bisect_right(starts, offset) - 1
    if line == len(starts) - 1 and line > 0 and not text.endswith(("\n", "\r")):
        line -= 1  # the end of a last line that has no newline
    return Position(line, offset - starts[line])


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """``text`` with the edits applied (they must not overlap); for tests and for callers that write files."""
    starts = _offsets(text)
    spans = sorted(((offset_of(text, e.range.start, starts), offset_of(text, e.range.end, starts), e.new_text)
                    for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def _specifier_span(segment: str) -> tuple[int, int] | None:
    """Where the version specifier is inside a requirement's text: after name and extras, before a marker,
    comment or option. ``None`` for a URL requirement (``name @ url``), which has no specifier to rewrite."""
    name = _NAME.match(segment)
    if not name:
        return None
    start = name.end()
    extras = _EXTRAS.match(segment, start)
    if extras:
        start = extras.end()
    end = len(segment)
    for delimiter in (";", " #", "\t#", " --", "\t--", " \\"):
        found = segment.find(delimiter, start)
        if found != -1:
            end = min(end, found)
    body = segment[start:end]
    if "@" in body:
        return None
    stripped = body.rstrip()
    if not stripped.strip():
        return (start, start)
    return (start, start + len(stripped))


def specifier_edit(declaration: Declaration, installed: str, text: str | None = None) -> TextEdit | None:
    """An edit making ``declaration`` accept the ``installed`` version, or ``None`` when its text cannot be
    rewritten safely (a URL, a Poetry table entry, an escaped TOML string, a file that changed)."""
    try:
        Version(installed)
    except InvalidVersion:
        return None
    if declaration.kind != "registry":
        return None
    if text is None:
        try:
            text = read_text(declaration.file)
        except UnreadableFile:
            return None
    starts = _offsets(text)
    begin = offset_of(text, declaration.range.start, starts)
    end = offset_of(text, declaration.range.end, starts)
    segment = text[begin:end]
    pin = declaration.file.name.endswith((".txt", ".in")) or not declaration.file.name.endswith(
        ("pyproject.toml", "setup.cfg"))
    if segment[:1] in ("'", '"'):  # a TOML string with its quotes
        quote = segment[0]
        if len(segment) < 2 or segment[-1] != quote or "\\" in segment:
            return None
        begin, segment = begin + 1, segment[1:-1]
    elif "\\" in segment and not pin:
        return None
    span = _specifier_span(segment)
    if span is None:
        return None
    name = _NAME.match(segment)
    if name is None or canonicalize_name(name.group(1)) != declaration.normalized:
        return None  # the text under the range is not this declaration (e.g. a Poetry `name = "^1.0"` entry)
    operator = "==" if pin else ">="
    new = f"{operator}{installed}"
    rewritten = segment[: span[0]] + new + segment[span[1]:]
    try:
        requirement = Requirement(rewritten.split(" #")[0].split(" --")[0].strip().rstrip("\\").strip())
    except InvalidRequirement:
        return None
    if not requirement.specifier.contains(installed, prereleases=True):
        return None
    start = position_of(text, begin + span[0], starts)
    stop = position_of(text, begin + span[1], starts)
    old = segment[span[0]: span[1]].strip() or "(none)"
    return TextEdit(declaration.file, Range(start, stop), new,
                    f"change {declaration.name}'s specifier {old} to {new} (the installed version)")


def version_edits(report: ProjectReport, packages: Iterable[str] | None = None) -> list[TextEdit]:
    """Edits for every VS202 of the project (or those about ``packages``), where a rewrite is possible."""
    wanted = {canonicalize_name(p) for p in packages} if packages is not None else None
    by_place = {(d.file, d.range): d for d in [*report.declarations, *report.constraints]}
    texts: dict[Path, str | None] = {}
    edits: list[TextEdit] = []
    for finding in report.findings:
        if finding.code != "VS202" or (wanted is not None and finding.package not in wanted):
            continue
        declaration = by_place.get((finding.file, finding.range))
        installed = finding.data.get("installed")
        if declaration is None or not isinstance(installed, str):
            continue
        if declaration.file not in texts:
            try:
                texts[declaration.file] = read_text(declaration.file)
            except UnreadableFile:
                texts[declaration.file] = None
        text = texts[declaration.file]
        if text is None:
            continue
        edit = specifier_edit(declaration, installed, text)
        if edit is not None:
            edits.append(edit)
    return edits

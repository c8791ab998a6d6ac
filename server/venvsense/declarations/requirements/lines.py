"""Logical lines of a requirements file, as pip's ``preprocess`` makes them (decoding, ``\\`` continuations,
comments, ``${VAR}`` expansion), keeping the source position of every character."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from venvsense.text import Position, Range, UnreadableFile, decode_text, lazy_pattern

__all__ = ["COMMENT", "LogicalLine", "comment_start", "decode_requirements", "editor_line_starts",
           "next_logical_line"]

COMMENT = re.compile(r"(^|\s+)#.*$")  # pip's COMMENT_RE
_ENV_VAR = lazy_pattern(r"\$\{([A-Z0-9_]+)\}")  # pip's ENV_VAR_RE
# str.splitlines (pip's split) also breaks at these; an editor (LSP) breaks only at \n, \r\n and \r
_EXOTIC_BREAKS = lazy_pattern("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_ALL_BREAKS = lazy_pattern("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_WIDE_BOMS = (  # pip's BOMS beyond UTF-8 (which decode_text drops); UTF-32 first: UTF-16-LE's BOM is a prefix
    (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
)
_CODING = lazy_pattern(rb"coding[:=]\s*([-\w.]+)")  # pip's PEP263_ENCODING_RE


class _Piece(NamedTuple):  # (NamedTuple: made at import ~4x faster than a frozen dataclass)
    """A run of a logical line: offsets ``start``..``end`` come from ``line``:``column`` in the file,
    ``width`` characters there. A piece that is not ``verbatim`` (the value of an expanded ``${VAR}``, the
    blank pip puts before a comment) maps as a whole onto its source text."""

    start: int
    end: int
    line: int
    column: int
    width: int
    verbatim: bool = True


@dataclass(slots=True)
class LogicalLine:
    """One logical line: ``text`` after joining, comment removal, strip and ``${VAR}`` expansion.

    ``text[i]`` comes from ``row``:``column + shift + i`` when ``pieces`` is ``None`` (one physical line,
    nothing expanded: the common case), else from the piece holding logical offset ``i + shift``.
    """

    text: str
    row: int
    column: int
    shift: int
    pieces: list[_Piece] | None
    last: int  # the last physical line (str.splitlines numbering) the logical line spans
    comment: str  # the comment pip removed, "" when none

    def position(self, offset: int, *, end: bool = False) -> Position:
        if self.pieces is None:
            return Position(self.row, self.column + self.shift + offset)
        offset += self.shift
        probe = offset - 1 if end and offset > 0 else offset
        piece = self.pieces[-1]
        for candidate in self.pieces:
            if candidate.start <= probe < candidate.end:
                piece = candidate
                break
        if not piece.verbatim:
            return Position(piece.line, piece.column + (piece.width if end else 0))
        return Position(piece.line, piece.column + min(max(offset - piece.start, 0), piece.width))

    def range(self, start: int, end: int) -> Range:
        if self.pieces is None:
            column = self.column + self.shift
            return Range(Position(self.row, column + start), Position(self.row, column + max(end, start)))
        first = self.position(start)
        return Range(first, self.position(end, end=True) if end > start else first)


def decode_requirements(path: Path, data: bytes) -> str:
    """A requirements file's text as pip decodes it: a BOM, a PEP 263 ``coding:`` comment, else UTF-8."""
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                raise UnreadableFile(path, f"is not valid {encoding.upper()}") from None
    for head in data.split(b"\n", 2)[:2]:
        coding = _CODING().search(head) if head[:1] == b"#" else None
        if coding is not None:
            try:
                return data.decode(coding.group(1).decode("ascii")).removeprefix("\ufeff")
            except (LookupError, UnicodeDecodeError):
                break
    return decode_text(path, data)


def editor_line_starts(text: str, count: int) -> list[tuple[int, int]] | None:
    """Where each ``str.splitlines`` line starts in editor terms, or ``None`` when those are the same lines."""
    if _EXOTIC_BREAKS().search(text) is None:
        return None
    out: list[tuple[int, int]] = []
    line = column = position = 0
    for match in _ALL_BREAKS().finditer(text):
        out.append((line, column))
        if match.group() in ("\r\n", "\n", "\r"):
            line, column = line + 1, 0
        else:
            column += match.end() - position
        position = match.end()
    out.append((line, column))
    return out[:count]


def comment_start(text: str) -> int:
    """Where pip's COMMENT_RE cuts ``text``: the first ``#`` at the start or after whitespace, or -1."""
    index = text.find("#")
    while index > 0 and not text[index - 1].isspace():
        index = text.find("#", index + 1)
    return index


def next_logical_line(lines: list[str], index: int, starts: list[tuple[int, int]] | None,
               environ: Mapping[str, str]) -> tuple[LogicalLine | None, int]:
    """The logical line starting at physical line ``index`` (``None`` for a blank or comment line) and the
    index after it: pip's join_lines, ignore_comments and expand_env_variables, in that order."""
    line = lines[index]
    if line.endswith("\\") and not COMMENT.match(line):
        joined, pieces, after = _join(lines, index, starts)
        row = column = 0
    else:
        after = index + 1
        if "#" in line and COMMENT.match(line):
            return None, after  # a comment line on its own
        joined, pieces = line, None
        row, column = starts[index] if starts is not None else (index, 0)
    comment = ""
    if "#" in joined:
        cut = comment_start(joined)
        if cut >= 0:
            comment = joined[cut:].strip()
            joined = joined[:cut]
    text = joined.strip()
    if not text:
        return None, after
    logical = LogicalLine(text, row, column, len(joined) - len(joined.lstrip()), pieces, after - 1, comment)
    if "${" in text:
        _expand(logical, environ)
    return logical, after


def _join(lines: list[str], index: int, starts: list[tuple[int, int]] | None) -> tuple[str, list[_Piece], int]:
    """Join the continuation lines from ``index`` on, as pip's join_lines does (``strip("\\")`` included)."""
    parts: list[str] = []
    pieces: list[_Piece] = []
    offset = 0
    while index < len(lines):
        line = lines[index]
        row, column = starts[index] if starts is not None else (index, 0)
        index += 1
        if line.endswith("\\") and not COMMENT.match(line):
            part = line.strip("\\")
            lead = len(line) - len(line.lstrip("\\"))
            pieces.append(_Piece(offset, offset + len(part), row, column + lead, len(part)))
            parts.append(part)
            offset += len(part)
            continue
        if COMMENT.match(line):
            pieces.append(_Piece(offset, offset + 1, row, column, 0, verbatim=False))
            parts.append(" ")  # pip's way of making sure the comment is removed
            offset += 1
        pieces.append(_Piece(offset, offset + len(line), row, column, len(line)))
        parts.append(line)
        break
    return "".join(parts), pieces, index


def _expand(line: LogicalLine, environ: Mapping[str, str]) -> None:
    """Replace ``${NAME}`` by its value where the variable is set and not empty, as pip does; each value maps
    onto the ``${NAME}`` it replaced."""
    text = line.text
    parts: list[str] = []
    pieces: list[_Piece] = []
    length = 0

    def add(part: str, at: Position, width: int, verbatim: bool) -> None:
        nonlocal length
        pieces.append(_Piece(length, length + len(part), at.line, at.column, width, verbatim))
        parts.append(part)
        length += len(part)

    def keep(start: int, end: int) -> None:
        if end <= start:
            return
        begin, stop = line.position(start), line.position(end, end=True)
        if begin.line == stop.line and stop.column - begin.column == end - start:
            add(text[start:end], begin, end - start, True)
        else:  # the run crosses a continuation: a piece per character keeps every position exact
            for i in range(start, end):
                add(text[i], line.position(i), 1, True)

    cursor = 0
    for match in _ENV_VAR().finditer(text):
        value = environ.get(match.group(1))
        if not value:
            continue
        keep(cursor, match.start())
        begin, stop = line.position(match.start()), line.position(match.end(), end=True)
        add(value, begin, stop.column - begin.column if stop.line == begin.line else 0, False)
        cursor = match.end()
    if not parts:
        return
    keep(cursor, len(text))
    line.text = "".join(parts)
    line.pieces = pieces
    line.shift = 0

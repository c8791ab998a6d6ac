"""Positions and ranges in source text, reading text files the way the readers need them, and regular
expressions compiled on first use.

Internally lines and columns are 0-based and columns count Unicode code points; the CLI adds 1 and the
language server converts to UTF-16 units. ``end`` is exclusive.
"""

from __future__ import annotations

import bisect
import errno
import functools
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import AnyStr, BinaryIO


@dataclass(frozen=True, order=True, slots=True)
class Position:
    """A 0-based line and code-point column."""  # every dataclass has a docstring: else one is made at import

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Range:
    """From ``start`` to ``end`` (exclusive)."""

    start: Position
    end: Position

    @staticmethod
    def of(line: int, start_column: int, end_column: int) -> Range:
        """A range within one line."""
        return Range(Position(line, start_column), Position(line, end_column))

    @staticmethod
    def line_of(text_line: str, line: int) -> Range:
        """The range covering the non-blank part of one line of text."""
        stripped = text_line.rstrip("\r\n")
        start = len(stripped) - len(stripped.lstrip())
        end = len(stripped.rstrip())
        return Range.of(line, start, max(end, start))


START = Range.of(0, 0, 0)


def line_starts(text: str) -> list[int]:
    """The offset where each line of ``text`` starts (lines as ``str.splitlines`` cuts them), then ``len(text)``."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def offset_of(text: str, position: Position, starts: Sequence[int] | None = None) -> int:
    """The code-point offset of ``position`` in ``text``, clamped to the text; ``starts`` from ``line_starts``
    saves recomputing them for many positions."""
    starts = starts if starts is not None else line_starts(text)
    line = min(position.line, len(starts) - 1)
    return min(starts[line] + position.column, len(text))


def position_of(text: str, offset: int, starts: Sequence[int] | None = None) -> Position:
    """The position of a code-point offset in ``text`` (the inverse of ``offset_of``)."""
    starts = starts if starts is not None else line_starts(text)
    line = bisect.bisect_right(starts, offset) - 1
    if line == len(starts) - 1 and line > 0 and not text.endswith(("\n", "\r")):
        line -= 1  # the end of a last line that has no newline
    return Position(line, offset - starts[line])


class UnreadableFile(Exception):
    """A file that exists but cannot be read as text; ``reason`` is a sentence for the user."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


MAX_TEXT_BYTES = 50 * 1024 * 1024


def _nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def read_capped(handle: BinaryIO, size: int, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of an open file whose ``fstat`` gave ``size`` (more than ``limit``: too large).

    ``read(n)`` allocates ``n`` bytes before it reads: asking for the file's size (and one byte more, to see it
    grew) instead of the limit saves a large allocation per file (~20 µs each, a tenth of a large tree's read)."""
    expected = min(size, limit)
    data = handle.read(expected + 1)
    if len(data) > expected:  # larger than the limit, or it grew since its fstat: read on up to the limit
        data += handle.read(limit - len(data) + 1)
    return data


_READING = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def read_regular(name: str, limit: int) -> tuple[os.stat_result, bytes | None]:
    """The status of the file ``name`` and, when it is a regular file, at most ``limit + 1`` of its bytes, read as
    ``open(name, "rb", opener=<non-blocking>)`` and ``read_capped`` read them (the same system calls, the same
    bytes, the same errors: ``OSError``, ``IsADirectoryError`` for a folder) without the two file objects each
    file cost (~6 µs: 26 ms on saleor's 4,338 modules). ``None`` for what is not a regular file (a FIFO or a
    device could block or never end: not read)."""
    descriptor = os.open(name, _READING)
    try:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):  # (what io.FileIO raises on a folder)
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), name)
        if not stat.S_ISREG(status.st_mode):
            return status, None
        expected = min(status.st_size, limit)
        data = _read_upto(descriptor, expected + 1, b"")
        if len(data) > expected:  # larger than the limit, or it grew since its fstat: read on up to the limit
            data = _read_upto(descriptor, limit + 1, data)
        return status, data
    finally:
        os.close(descriptor)


def _read_upto(descriptor: int, size: int, data: bytes) -> bytes:
    """``data`` and what follows in the file, up to ``size`` bytes in all or its end (``BufferedReader.read``)."""
    while len(data) < size:
        more = os.read(descriptor, size - len(data))
        if not more:
            break
        data += more
    return data


def read_text(path: Path) -> str:
    """Read a UTF-8 text file (a BOM is dropped), raising ``UnreadableFile`` with a reason on failure.

    Newlines are kept as they are: readers split with ``str.splitlines`` semantics of their own.
    """
    try:
        with open(path, "rb", opener=_nonblocking) as handle:
            status = os.fstat(handle.fileno())
            if stat.S_ISDIR(status.st_mode):
                raise IsADirectoryError
            if not stat.S_ISREG(status.st_mode):  # a FIFO or a device (a link to /dev/zero) could block or never end
                raise UnreadableFile(path, "is not a regular file")
            data = read_capped(handle, status.st_size, MAX_TEXT_BYTES)
    except IsADirectoryError:
        raise UnreadableFile(path, "is a directory, not a file") from None
    except FileNotFoundError:
        raise UnreadableFile(path, "does not exist") from None
    except PermissionError:
        raise UnreadableFile(path, "cannot be read (permission denied)") from None
    except OSError as error:
        raise UnreadableFile(path, f"cannot be read ({error.strerror or error})") from None
    return decode_text(path, data)


def decode_text(path: Path, data: bytes) -> str:
    if len(data) > MAX_TEXT_BYTES:
        raise UnreadableFile(path, f"is too large to read (more than {MAX_TEXT_BYTES // (1024 * 1024)} MB)")
    if b"\x00" in data[:8192]:
        raise UnreadableFile(path, "is a binary file (it contains NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UnreadableFile(path, f"is not valid UTF-8 (line {line}, byte {error.start})") from None
    return text.removeprefix("\ufeff")


def lazy_pattern(pattern: AnyStr, flags: int = 0) -> Callable[[], re.Pattern[AnyStr]]:
    """A getter of ``re.compile(pattern, flags)``, compiled on its first call and kept: for the module-level
    expressions of rare paths (errors, URLs, the rarer manifests), which every start-up would otherwise compile
    (``re``'s parser is the largest part of importing the engine after the modules themselves). Hot expressions
    (the scanner's, the common requirement's) stay compiled at import."""
    return functools.cache(functools.partial(re.compile, pattern, flags))


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: into a new file of the same folder (created exclusively,
    readable by the owner only, as ``tempfile.mkstemp`` makes it), then moved over ``path``. For the cache files
    a check writes (``tempfile`` would import ``shutil``, ``random`` and the compression modules for one name).
    Raises ``OSError`` as the file system does; the new file is removed when anything fails."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for attempt in range(100):
        temporary = f"{path}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
        try:
            descriptor = os.open(temporary, flags, 0o600)
            break
        except FileExistsError:  # (another writer's name: practically never)
            if attempt == 99:
                raise
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise

"""PEP 723 inline script metadata: a ``.py`` file's ``# /// script`` block read as a declaration set.

The block is found with PEP 723's reference expression and its content parsed with ``tomllib`` (never by hand);
``dependencies`` become declarations and ``requires-python`` the set's Python, each at its place on the
block's lines of the ``.py`` file (the ``# `` prefix counted). What cannot be read is a VS206 finding at the
precise place: a TOML error at the line and column ``tomllib`` names, a bad requirement at its string, a second
``script`` block (PEP 723: tools must refuse it), an unclosed block.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

from venvsense.declarations import MAIN, Manifest
from venvsense.declarations.pyproject.document import INVALID, PyprojectDocument, toml_type
from venvsense.declarations.pyproject.pep621 import set_requires_python
from venvsense.findings import Finding, make
from venvsense.text import Position, Range, lazy_pattern

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# PEP 723's reference expression (https://peps.python.org/pep-0723/#reference-implementation)
BLOCK = lazy_pattern(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")
MARKER = "# /// script"
_TOML_PLACE = lazy_pattern(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class Block:
    """A ``script`` block: the line of its ``# /// script`` opening (0-based), its closing line, the TOML
    content with each line's comment prefix removed, and each content line's prefix length (2 or 1)."""

    start: int
    end: int
    content: str
    prefixes: tuple[int, ...]

    @property
    def opening(self) -> Range:
        return Range.of(self.start, 0, len(MARKER))

    def place(self, position: Position) -> Position:
        """A position in ``content`` → the same place in the ``.py`` file."""
        line = min(position.line, len(self.prefixes) - 1) if self.prefixes else 0
        prefix = self.prefixes[line] if self.prefixes else 0
        return Position(self.start + 1 + line, position.column + prefix)

    def range(self, range_: Range) -> Range:
        return Range(self.place(range_.start), self.place(range_.end))


def has_block(text: str) -> bool:
    """Whether the text may hold a script block (the cheap test before ``find_block``)."""
    return MARKER in text


def find_block(text: str) -> tuple[Block | None, list[tuple[str, Range]]]:
    """The ``script`` block of ``text`` and the problems with it (message, range): a second ``script`` block,
    an opening ``# /// script`` that no ``# ///`` closes."""
    blocks = [m for m in BLOCK().finditer(text) if m.group("type") == "script"]
    problems: list[tuple[str, Range]] = []
    if not blocks:
        at = _opening_line(text)
        if at is not None:
            problems.append(("the '# /// script' block is not closed by a '# ///' line (every line in between "
                             "must start with '#')", Range.of(at, 0, len(MARKER))))
        return None, problems
    first = blocks[0]
    for extra in blocks[1:]:
        line = text.count("\n", 0, extra.start())
        problems.append(("a second '# /// script' block: PEP 723 allows one per file (uv refuses the file)",
                         Range.of(line, 0, len(MARKER))))
    start = text.count("\n", 0, first.start())
    lines = first.group("content").splitlines(keepends=True)
    prefixes = tuple(2 if line.startswith("# ") else 1 for line in lines)
    content = "".join(line[prefix:] for line, prefix in zip(lines, prefixes, strict=True))
    return Block(start, start + 1 + len(lines), content, prefixes), problems


def _opening_line(text: str) -> int | None:
    at = 0
    while True:
        found = text.find(MARKER, at)
        if found == -1:
            return None
        line_end = text.find("\n", found)
        rest = text[found + len(MARKER):line_end if line_end != -1 else len(text)]
        if (found == 0 or text[found - 1] == "\n") and not rest.strip("\r"):
            return text.count("\n", 0, found)
        at = found + len(MARKER)


def read_script(path: Path, text: str) -> Manifest | None:
    """The declaration set of the script at ``path`` (``text``: its content, buffer or disk), ``None`` when it
    has no script block at all. Total: bad metadata gives VS206 findings, never an exception."""
    if not has_block(text):
        return None
    block, problems = find_block(text)
    if block is None and not problems:
        return None
    manifest = Manifest(path=path, files=[path])
    manifest.findings += [_invalid(message, path, where) for message, where in problems]
    if block is None:
        return manifest
    try:
        data = tomllib.loads(block.content)
    except tomllib.TOMLDecodeError as error:
        manifest.findings.append(_invalid(f"the script metadata is not valid TOML: {_reason(error)}", path,
                                          _error_range(error, block)))
        manifest.incomplete = True
        return manifest
    inner = Manifest(path=path, files=[path])
    document = PyprojectDocument(path, block.content, data, inner)
    if "requires-python" in data:
        set_requires_python(document, data["requires-python"], ("requires-python",), "requires-python")
    if "dependencies" in data:
        inner.declarations = document.requirement_strings(("dependencies",), group=MAIN, primary=True,
                                                          declaration_set=f"{path.name} (script)")
    for key in data:
        if key not in ("dependencies", "requires-python", "tool"):
            inner.findings.append(_invalid(f"'{key}' is not a field of script metadata (PEP 723 knows "
                                           "dependencies, requires-python and [tool])", path,
                                           document.entry_range((key,))))
    if "tool" in data and not isinstance(data["tool"], dict):
        inner.findings.append(_invalid(f"[tool] must be a table, not {toml_type(data['tool'])}", path,
                                       document.value_range(("tool",))))
    manifest.declarations = [replace(d, range=block.range(d.range)) for d in inner.declarations]
    manifest.findings += [replace(f, range=block.range(f.range)) for f in inner.findings]
    if inner.requires_python is not None:
        spec, file, where = inner.requires_python
        manifest.requires_python = (spec, file, block.range(where))
    return manifest


def script_block_range(text: str) -> Range | None:
    """The range of the ``# /// script`` opening line (where the script's own findings are anchored)."""
    block, problems = find_block(text)
    if block is not None:
        return block.opening
    return problems[0][1] if problems else None


def _invalid(message: str, path: Path, where: Range) -> Finding:
    return make(INVALID, message, path, where, package=None)


def _reason(error: tomllib.TOMLDecodeError) -> str:
    message = getattr(error, "msg", None) or str(error)
    return _TOML_PLACE().sub("", str(message)).strip()


def _error_range(error: tomllib.TOMLDecodeError, block: Block) -> Range:
    """Where ``tomllib`` stopped (its 1-based line and column in the content) on the ``.py`` file's line."""
    line = getattr(error, "lineno", None)
    column = getattr(error, "colno", None)
    if not isinstance(line, int) or not isinstance(column, int):
        found = _TOML_PLACE().search(str(error))
        line, column = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
    content_lines = block.content.splitlines() or [""]
    index = max(0, min(line - 1, len(content_lines) - 1))
    text = content_lines[index]
    start = block.place(Position(index, max(0, min(column - 1, len(text)))))
    end = block.place(Position(index, len(text)))
    return Range(start, end if end.column > start.column else Position(start.line, start.column + 1))

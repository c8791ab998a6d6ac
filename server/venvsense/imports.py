"""Finds the import statements of Python source files, with exact ranges and their context, without parsing.

``ast.parse`` is far too slow for a tree of thousands of modules (figures: ``benchmarks/README.md``). This scanner
lexes with one compiled regular expression that consumes ordinary code, strings and comments in C and stops
only where something may matter: a line starting with ``import``/``from``, ``;``/``:`` followed by one, and
(only when some import is nested) lines starting with a compound-statement keyword that are indented little
enough to enclose it. Python code runs only at those stops, and nothing after the last possible import
statement is lexed. Files the fast path cannot lex with certainty (syntax errors, PEP 701 f-strings that
reuse their quote, a keyword line inside brackets that would change the context) are scanned again by a
token-by-token lexer that follows CPython's rules, recovers from errors and reports them.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
import threading
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = [
    "ImportStatement",
    "ScanResult",
    "enable_persistent_cache",
    "iter_python_files",
    "load_persistent_cache",
    "persistent_cache_active",
    "persistent_cache_dir",
    "persistent_extra",
    "persistent_payload",
    "save_persistent_cache",
    "scan_bytes",
    "scan_file",
    "scan_files",
    "scan_source",
]


@dataclass(frozen=True, slots=True)
class ImportStatement:
    """One imported module: each name of ``import a, b.c`` is its own statement, ``from x import y`` is one.

    ``module`` is the full dotted name as Python sees it (whitespace and line continuations dropped, NFKC
    normalized): ``"x.y"`` for ``from x.y import z``, ``""`` for ``from . import z``; ``level`` counts the
    leading dots of a relative import (0 for absolute). The range (0-based lines, 0-based code-point
    columns, exclusive end) covers the module as written, leading dots included: ``a.b`` in ``import a.b``,
    ``..x`` in ``from ..x import y``, ``.`` in ``from . import z``. ``names`` are the imported names of a
    ``from`` import (``("*",)`` for a star import) and ``()`` for ``import x``.

    Context, with nested semantics (an enclosing block at any depth counts):

    * ``optional``: inside the body of a ``try`` one of whose handlers catches ``ImportError`` or
      ``ModuleNotFoundError`` (or is bare, ``Exception``, ``BaseException``, or a tuple naming one of
      these); a handler's own imports are not optional;
    * ``type_checking``: inside the body (not the ``else``) of ``if TYPE_CHECKING:`` or
      ``if <module>.TYPE_CHECKING:``;
    * ``in_function``: inside a ``def``, ``async def`` or ``class`` body, so it runs only when called or
      only as part of the class statement;
    * ``future``: ``from __future__ import ...``.
    """

    module: str
    level: int
    line: int
    column: int
    end_line: int
    end_column: int
    names: tuple[str, ...]
    optional: bool = False
    type_checking: bool = False
    in_function: bool = False
    future: bool = False


# A statement's numbers in ``ScanResult._numbers``: level, line, column, end line, end column, flags.
_NUMBERS = 6
_OPTIONAL, _TYPE_CHECKING, _IN_FUNCTION, _FUTURE = 1, 2, 4, 8
_SHARED_NAMES_LIMIT = 200_000
_shared_names: dict[tuple[str, ...], tuple[str, ...]] = {}


def _share(names: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple object for every equal tuple of imported names (``from typing import Any`` is everywhere)."""
    if not names:
        return ()
    shared = _shared_names.get(names)
    if shared is None:
        if len(_shared_names) >= _SHARED_NAMES_LIMIT:
            _shared_names.clear()
        shared = _shared_names[names] = names  # the first one seen serves every equal one after it
    return shared


class ScanResult:
    """The imports of one file; ``error`` is a short reason when a syntax or encoding problem limited the
    scan (the imports found around it are still listed).

    A project's index is mostly these, so the statements are kept packed, not as objects: the module names
    interned, the ``names`` tuples shared between files, the numbers in an ``array`` (six per statement, two
    bytes each when they fit: about 30 bytes a statement instead of 250). ``imports`` (all) and
    ``statement_at`` (one) make the ``ImportStatement`` objects when asked; equal scans compare equal whichever
    way they were made. Immutable.
    """

    __slots__ = ("_modules", "_names", "_numbers", "error")

    _modules: tuple[str, ...]
    _names: tuple[tuple[str, ...], ...]
    _numbers: array[int]
    error: str | None

    def __init__(self, imports: Iterable[ImportStatement] = (), error: str | None = None) -> None:
        modules: list[str] = []
        names: list[tuple[str, ...]] = []
        numbers = array("i")
        for s in imports:
            modules.append(sys.intern(s.module))
            names.append(_share(s.names))
            flags = (s.optional and _OPTIONAL) | (s.type_checking and _TYPE_CHECKING) | (
                s.in_function and _IN_FUNCTION) | (s.future and _FUTURE)
            numbers.extend((s.level, s.line, s.column, s.end_line, s.end_column, flags))
        _set_packed(self, tuple(modules), tuple(names), _narrowed(numbers), error)

    @classmethod
    def packed(cls, modules: tuple[str, ...], names: tuple[tuple[str, ...], ...], numbers: array[int],
               error: str | None) -> ScanResult:
        """A scan from its packed parts (taken as they are: ``names`` already shared, ``numbers`` not changed
        afterwards)."""
        if len(names) != len(modules) or len(numbers) != _NUMBERS * len(modules):
            raise ValueError("inconsistent packed scan")
        made = object.__new__(cls)
        _set_packed(made, modules, names, numbers, error)
        return made

    def __len__(self) -> int:
        return len(self._modules)

    @property
    def imports(self) -> tuple[ImportStatement, ...]:
        return tuple(map(self.statement_at, range(len(self._modules))))

    def statement_at(self, index: int) -> ImportStatement:
        """``imports[index]``, made alone."""
        start = index * _NUMBERS
        level, line, column, end_line, end_column, flags = self._numbers[start : start + _NUMBERS]
        made = object.__new__(ImportStatement)
        (set_module, set_level, set_line, set_column, set_end_line, set_end_column, set_names, set_optional,
         set_type_checking, set_in_function, set_future) = _STATEMENT_SETTERS
        set_module(made, self._modules[index])
        set_level(made, level)
        set_line(made, line)
        set_column(made, column)
        set_end_line(made, end_line)
        set_end_column(made, end_column)
        set_names(made, self._names[index])
        set_optional(made, bool(flags & _OPTIONAL))
        set_type_checking(made, bool(flags & _TYPE_CHECKING))
        set_in_function(made, bool(flags & _IN_FUNCTION))
        set_future(made, bool(flags & _FUTURE))
        return made

    @property
    def modules(self) -> tuple[str, ...]:
        """Each statement's ``module``, in order."""
        return self._modules

    @property
    def names(self) -> tuple[tuple[str, ...], ...]:
        """Each statement's ``names``, in order."""
        return self._names

    def levels(self) -> array[int]:
        """Each statement's ``level``, in order."""
        return self._numbers[0::_NUMBERS]

    def future_at(self, index: int) -> bool:
        return bool(self._numbers[index * _NUMBERS + 5] & _FUTURE)

    def _key(self) -> tuple[object, ...]:
        return (self._modules, self._names, tuple(self._numbers), self.error)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScanResult):
            return NotImplemented
        return self is other or self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ScanResult is immutable (cannot set {name!r})")

    def __repr__(self) -> str:
        return f"ScanResult(imports={self.imports!r}, error={self.error!r})"


def _narrowed(numbers: array[int]) -> array[int]:
    """``numbers`` in two bytes each when they fit (all are positions or small counts: almost always)."""
    if not numbers or max(numbers) > 0xFFFF:
        return numbers
    return array("H", numbers)


_SET_MODULES, _SET_NAMES, _SET_NUMBERS, _SET_ERROR = (
    ScanResult.__dict__[name].__set__ for name in ("_modules", "_names", "_numbers", "error"))


def _set_packed(scan: ScanResult, modules: tuple[str, ...], names: tuple[tuple[str, ...], ...],
                numbers: array[int], error: str | None) -> None:
    _SET_MODULES(scan, modules)
    _SET_NAMES(scan, names)
    _SET_NUMBERS(scan, numbers)
    _SET_ERROR(scan, error)


# the slots' setters, in field order (``ScanResult.statement_at`` makes statements with them)
_STATEMENT_SETTERS: tuple[Callable[[ImportStatement, object], None], ...] = tuple(
    getattr(ImportStatement, field.name).__set__ for field in fields(ImportStatement)
)


# ---------------------------------------------------------------------------------------------------------
# The fast lexer: one regular expression.
#
# It lexes strings and comments exactly (with the rules every Python version shares: the PEP 701 f-strings
# that only 3.12+ accepts are sent to the careful lexer up front) but treats brackets as ordinary characters,
# which halves its cost. The only lines where that matters are the few that start with a keyword that may
# also continue an expression (`if`, `else`, `for`, `async`, `match`, `case`) and would change the block
# context: those are checked with a second, bracket-aware pattern from the last line known to be at depth 0.
#
# Every repetition that could be split several ways is atomic, so a construct that fails (an unclosed
# bracket, an unterminated string) fails in linear time instead of backtracking exponentially. Python 3.11
# has atomic groups and possessive quantifiers; 3.10 gets the classic emulation, a captured lookahead
# matched again by back-reference.

_ATOMIC_GROUPS = sys.version_info >= (3, 11)
_group_numbers = itertools.count()


def _atomic(pattern: str) -> str:
    if _ATOMIC_GROUPS:
        return f"(?>{pattern})"
    name = f"_a{next(_group_numbers)}"
    return f"(?=(?P<{name}>{pattern}))(?P={name})"


_BLOCK_KEYWORDS = "if|elif|else|try|except|finally|for|while|with|def|class|async|match|case"
_KEYWORDS = _BLOCK_KEYWORDS + "|import|from"
# keywords that may start a line inside brackets too (`[x\n for x in y]`, `(a if b\n else c)`, `f(\n match=1)`)
_AMBIGUOUS_KEYWORDS = frozenset({"if", "else", "for", "async", "match", "case"})
_IMPORT_WORD = r"(?:import|from)\b"
_GAP = r"(?:[ \t\f]|\\\n)*"  # whitespace within a logical line, line continuations included
_MAX_BRACKET_DEPTH = 8


def _strings(check_fields: bool = False) -> str:
    """String literals as every Python version lexes them (a prefix never changes where a string ends).

    With ``check_fields``, an f-string (or t-string) does not match when, lexed that way, it ends inside a
    replacement field: a PEP 701 string reusing its quote in a field (``f"{x["a"]}"``), which only the
    careful lexer handles."""
    pieces = []
    for quote in ('"', "'"):
        q = quote
        body = _atomic(rf"[^{q}\\]*(?:(?:\\.|{q}(?!{q}{q}))[^{q}\\]*)*")
        guard = ""
        if check_fields:
            other = rf"(?:[^}}{q}]|{q}(?!{q}{q}))*"
            left_open = rf"(?:[^{q}\\{{]|\\.|{q}(?!{q}{q})|\{{{other}\}})*\{{{other}{q}{q}{q}"
            guard = rf"(?!(?:(?<=[fFtT]{q}{q}{q})|(?<=[fFtT][rR]{q}{q}{q})){left_open})"
        pieces.append(q * 3 + guard + body + q * 3)
    for quote in ('"', "'"):
        q = quote
        body = _atomic(rf"[^{q}\\\n]*(?:\\.[^{q}\\\n]*)*")
        guard = ""
        if check_fields:
            field = rf"[^}}{q}\\\n]*"
            left_open = rf"(?:[^{q}\\\n{{]|\\.|\{{{field}\}})*\{{{field}{q}"
            guard = rf"(?!(?:(?<=[fFtT]{q})|(?<=[fFtT][rR]{q})){left_open})"
        pieces.append(f"{q}(?!{q}{q})" + guard + body + q)
    return "|".join(pieces)


def _possessive_indent(count: str) -> str:
    if _ATOMIC_GROUPS:
        return f"[ \\t\\f]{count}+"
    return f"[ \\t\\f]{count}(?![ \\t\\f])"


# What may follow a line's indentation without the line being a stop (one character is consumed, or none
# when it is a character another alternative must see).
_NOT_IMPORT_LINE = r"""(?:[^\s'"#\\:;if]|(?=[\n'"#\\:;])|i(?!mport\b)|f(?!rom\b))"""
_NOT_KEYWORD_LINE = (
    r"""(?:[^\s'"#\\:;iewtfdcam]|(?=[\n'"#\\:;])|i(?!f\b|mport\b)|e(?!l(?:if|se)\b|xcept\b)|t(?!ry\b)"""
    r"|f(?!or\b|rom\b|inally\b)|w(?!hile\b|ith\b)|d(?!ef\b)|c(?!lass\b|ase\b)|a(?!sync\b)|m(?!atch\b))"
)
# after `:`, `;` or a line continuation: anything but the start of an import statement
_NOT_IMPORT_NEXT = r"""(?:[^\s'"#\\if]|(?=[\n'"#]|\\[^\n])|i(?!mport\b)|f(?!rom\b))"""

# Logical lines starting with a compound-statement keyword matter only when they are indented no deeper
# than some import statement of the file (they may enclose it, or close a block that encloses it), so the
# pattern stops only at those indented by at most `reach` characters, `reach` rounded up to one of these.
# (Characters order indents the way CPython's columns do: it rejects indentation where tabs make the two
# disagree. Form feeds reset the column, so a file with one gets no limit.)
_REACHES = (-1, 3, 7, 11, 15, 23)
_NO_REACH_LIMIT = 1 << 30


def _fast_pattern(reach: int) -> re.Pattern[str]:
    any_indent = _possessive_indent("*")
    if reach < 0:
        newlines = [rf"\n{any_indent}{_NOT_IMPORT_LINE}"]
    elif reach >= _NO_REACH_LIMIT:
        newlines = [rf"\n{any_indent}{_NOT_KEYWORD_LINE}"]
    else:
        newlines = [
            rf"\n[ \t\f]{{{reach + 1}}}{any_indent}{_NOT_IMPORT_LINE}",
            rf"\n{_possessive_indent(f'{{0,{reach}}}')}{_NOT_KEYWORD_LINE}",
        ]
    alternatives = (
        r"""[^'"#\\\n:;]+""",
        *newlines,
        _strings(check_fields=True),
        r"\#[^\n]*",
        rf"[:;]{any_indent}{_NOT_IMPORT_NEXT}",
        rf"\\\n{any_indent}{_NOT_IMPORT_NEXT}",
    )
    return re.compile(_atomic("(?:" + "|".join(alternatives) + ")*"), re.DOTALL)


def _bracketed(depth: int) -> str:
    if depth == 0:
        return "(?!)"
    inner = "|".join((r"""[^'"#\\()\[\]{}]+""", _bracketed(depth - 1), _strings(), r"\#[^\n]*", r"\\\n"))
    return r"[(\[{]" + _atomic(f"(?:{inner})*") + r"[)\]}]"


def _depth_zero_pattern() -> re.Pattern[str]:
    """Consumes code while it stays outside brackets and lexes: a match ending at a position shows the
    position is at bracket depth 0."""
    alternatives = (r"""[^'"#\\()\[\]{}]+""", _bracketed(_MAX_BRACKET_DEPTH), _strings(), r"\#[^\n]*", r"\\\n")
    return re.compile(_atomic("(?:" + "|".join(alternatives) + ")*"), re.DOTALL)


_compile_lock = threading.Lock()
_compiled: dict[int, re.Pattern[str]] = {}
_DEPTH_ZERO_KEY = -2


def _compiled_pattern(key: int) -> re.Pattern[str]:
    pattern = _compiled.get(key)
    if pattern is None:
        with _compile_lock:
            pattern = _compiled.get(key)
            if pattern is None:
                pattern = _depth_zero_pattern() if key == _DEPTH_ZERO_KEY else _fast_pattern(key)
                _compiled[key] = pattern
    return pattern


def _fast(reach: int) -> tuple[re.Pattern[str], int]:
    """The fast pattern for ``reach`` rounded up, and the rounded ``reach``."""
    for step in _REACHES:
        if reach <= step:
            reach = step
            break
    else:
        reach = _NO_REACH_LIMIT
    return _compiled_pattern(reach), reach


_FROM_BEFORE = re.compile(r"(?:^|[:;])[ \t\f]*from\b")


def _last_import(text: str) -> int:
    """Where the last word ``import`` that may be the keyword of an import statement starts (-1 if none):
    nothing after it can be an import statement. Words ``import`` are passed over in a position no import
    keyword can have (``"cannot import %s"``): not at the start of a line or after ``:``/``;``, nor after
    ``from`` or on a continued line."""
    position = len(text)
    while True:
        position = text.rfind("import", 0, position)
        if position < 0:
            return position
        after = text[position + 6 : position + 7]
        before = text[position - 1 : position] if position else ""
        if after.isalnum() or after == "_" or before.isalnum() or before == "_":
            continue  # `reimport`, `important`
        line_start = text.rfind("\n", 0, position) + 1
        line = text[line_start:position].rstrip(" \t\f")
        if (
            not line.strip(" \t\f")
            or line.endswith((":", ";"))
            or _FROM_BEFORE.search(line)
            or text[line_start - 2 : line_start] == "\\\n"
        ):
            return position


def _plan(needs: list[tuple[int, int]], last: int) -> tuple[list[int], list[int]]:
    """From what each import needed: positions, and how deep the lines before each must be looked at."""
    positions = [position for position, _ in needs] + [last]
    reaches = [reach for _, reach in needs] + [-1]
    deepest = -1
    for index in range(len(reaches) - 1, -1, -1):
        if reaches[index] > deepest:
            deepest = reaches[index]
        else:
            reaches[index] = deepest
    return positions, reaches


_LINE_KEYWORD = re.compile(rf"[ \t\f]*({_KEYWORDS})\b")
_AFTER_SEPARATOR = re.compile(rf"{_GAP}({_IMPORT_WORD[:-2]})\b")
_NAME = r"[^\W\d]\w*"
_DOTTED = rf"{_NAME}(?:{_GAP}\.{_GAP}{_NAME})*"
_IMPORT_ITEM = re.compile(
    rf"{_GAP}(?P<dotted>(?!(?:import|from|as)\b){_DOTTED})(?:{_GAP}as\b{_GAP}{_NAME})?{_GAP}(?P<comma>,)?"
)
_FROM_HEAD = re.compile(
    rf"from\b{_GAP}(?P<module>(?:\.(?:{_GAP}\.)*)?(?:{_GAP}(?!import\b){_DOTTED})?){_GAP}import\b{_GAP}"
)
_FROM_NAME = re.compile(rf"{_GAP}(?P<name>(?!(?:import|as)\b){_NAME})(?:{_GAP}as\b{_GAP}{_NAME})?{_GAP}(?P<comma>,)?")
_PAREN_GAP = r"(?:\s|\\\n|\#[^\n]*)*"
# a whole line holding one plain import statement at the start of the line (what most files start with)
_ASCII_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ASCII_DOTTED = rf"{_ASCII_NAME}(?:\.{_ASCII_NAME})*"
_SIMPLE_IMPORT_LINE = re.compile(
    rf"(?:[ \t]*(?:\#[^\n]*)?\n)*"
    rf"(?:import (?P<modules>{_ASCII_DOTTED}(?: as {_ASCII_NAME})?(?:, {_ASCII_DOTTED}(?: as {_ASCII_NAME})?)*)"
    rf"|from (?P<module>\.*{_ASCII_DOTTED}|\.+) import (?P<names>\*|{_ASCII_NAME}(?: as {_ASCII_NAME})?"
    rf"(?:, {_ASCII_NAME}(?: as {_ASCII_NAME})?)*))[ \t]*(?:\#[^\n]*)?\n"
)
_FROM_PAREN_NAME = re.compile(
    rf"{_PAREN_GAP}(?P<name>(?!as\b){_NAME})(?:{_PAREN_GAP}as\b{_PAREN_GAP}{_NAME})?{_PAREN_GAP}(?P<comma>,)?"
)
_PAREN_CLOSE = re.compile(rf"{_PAREN_GAP}\)")
_SPACE_IN_NAME = re.compile(r"[\s\\]+")
_TYPE_CHECKING_TEST = re.compile(
    rf"(?:el)?if{_GAP}(?:\({_GAP})?(?:{_NAME}{_GAP}\.{_GAP})?TYPE_CHECKING{_GAP}(?:\){_GAP})?:"
)
_HANDLER = re.compile(r"except\b\s*\*?\s*(?P<type>[^:#]*?)\s*(?:\bas\b\s*\w+\s*)?:")
_COMMENT = re.compile(r"#[^\n]*")
_CATCHES_IMPORT_ERROR = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


class _Try:
    __slots__ = ("catches", "indent")

    def __init__(self, indent: int) -> None:
        self.indent = indent
        self.catches = False


def _indent_width(indent: str) -> int:
    """The column of the first character after ``indent``, with CPython's tab stops and form feeds."""
    if "\t" not in indent and "\f" not in indent:
        return len(indent)
    column = 0
    for char in indent:
        if char == "\t":
            column = (column // 8 + 1) * 8
        elif char == "\f":
            column = 0
        else:
            column += 1
    return column


def _handler_catches_import_error(text: str, position: int) -> bool:
    # comments may sit inside a parenthesised tuple of exception types: drop them (no string can be there)
    match = _HANDLER.match(_COMMENT.sub("", text[position:position + 2000]))
    if match is None:
        return False
    written = match.group("type")
    if not written:
        return True
    written = written.strip()
    if written.startswith("(") and written.endswith(")"):
        written = written[1:-1]
    for item in written.split(","):
        name = _SPACE_IN_NAME.sub("", item).rsplit(".", 1)[-1]
        if name in _CATCHES_IMPORT_ERROR:
            return True
    return False


class _FastPathGaveUp(Exception):
    """The fast lexer stopped somewhere it cannot explain: lex the file token by token instead."""


class _ReachTooShort(Exception):
    """Some import is indented deeper than the lines the fast lexer stopped at: scan again, knowing where
    the imports are and what each needs (``needs``: position and indent in characters)."""

    def __init__(self, needs: list[tuple[int, int]], scanner: _Scanner) -> None:
        super().__init__()
        self.needs = needs
        self.scanner = scanner


_Parsed = tuple[int, tuple[tuple[str, int, int, int, tuple[str, ...]], ...], tuple[str, ...]]
_NO_CONTEXT: tuple[tuple[_Try, ...], bool, bool] = ((), False, False)


class _Scanner:
    """Statement parsing and the block context, shared by the fast and the careful lexers.

    ``parsed`` caches the statements parsed by an earlier pass over the same text (by keyword position)."""

    def __init__(self, text: str, parsed: dict[int, _Parsed]) -> None:
        self.text = text
        # block stack: (indent, kind, try record); kind is "def", "tc", "try" or "" (any other block)
        self.blocks: list[tuple[int, str, _Try | None]] = []
        self.try_at_indent: dict[int, _Try] = {}
        self.found: list[tuple[str, int, int, int, tuple[str, ...], tuple[_Try, ...], bool, bool]] = []
        self.errors: list[str] = []
        # tries with imports in their body whose handlers have not all been seen yet
        self.undecided: list[_Try] = []
        self.parsed = parsed
        self.end = 0  # where the last statement ends
        self._context: tuple[tuple[_Try, ...], bool, bool] | None = _NO_CONTEXT

    # -- context
    def close_blocks(self, indent: int) -> None:
        blocks = self.blocks
        if blocks and blocks[-1][0] >= indent:
            self._context = None
            while blocks and blocks[-1][0] >= indent:
                blocks.pop()

    def would_change(self, keyword: str, position: int, indent: int) -> bool:
        """Whether a line at ``indent`` starting with ``keyword`` would change the block context."""
        blocks = self.blocks
        return bool(
            (blocks and blocks[-1][0] >= indent)
            or any(record.indent >= indent for record in self.undecided)
            or (keyword == "if" and _TYPE_CHECKING_TEST.match(self.text, position))
        )

    def keyword_line(self, keyword: str, position: int, indent: int) -> int:
        """A logical line at ``indent`` starts with ``keyword`` at ``position``; returns where lexing goes on."""
        self.close_blocks(indent)
        if self.undecided:
            # A try statement ends at the first line at its indent that is not one of its clauses.
            self.undecided = [
                record
                for record in self.undecided
                if record.indent < indent or (record.indent == indent and keyword == "except")
            ]
        if keyword == "import" or keyword == "from":
            return self.statement(keyword, position)
        if keyword == "def" or keyword == "class" or keyword == "async":
            self.blocks.append((indent, "def", None))
            self._context = None
        elif keyword == "try":
            opened = _Try(indent)
            self.try_at_indent[indent] = opened
            self.blocks.append((indent, "try", opened))
            self._context = None
        elif keyword == "except":
            record = self.try_at_indent.get(indent)
            if record is not None and not record.catches:
                record.catches = _handler_catches_import_error(self.text, position)
                if record.catches and record in self.undecided:
                    self.undecided.remove(record)
        elif (keyword == "if" or keyword == "elif") and _TYPE_CHECKING_TEST.match(self.text, position):
            self.blocks.append((indent, "tc", None))
            self._context = None
        return position + len(keyword)

    def context(self) -> tuple[tuple[_Try, ...], bool, bool]:
        context = self._context
        if context is None:
            blocks = self.blocks
            context = self._context = (
                tuple(record for _, _, record in blocks if record is not None),
                any(kind == "tc" for _, kind, _ in blocks),
                any(kind == "def" for _, kind, _ in blocks),
            )
        return context

    # -- statements
    def statement(self, keyword: str, position: int) -> int:
        """Records the import statement whose keyword starts at ``position``; returns where it ends."""
        parsed = self.parsed.get(position)
        if parsed is None:
            parsed = self.parsed[position] = _parse_statement(self.text, keyword, position)
        end, items, errors = parsed
        self.end = end
        if errors:
            self.errors.extend(errors)
        if items:
            tries, type_checking, in_function = self.context()
            for record in tries:
                if not record.catches and record not in self.undecided:
                    self.undecided.append(record)
            found = self.found
            for module, level, start, stop, names in items:
                found.append((module, level, start, stop, names, tries, type_checking, in_function))
        return end

    def simple_imports(self, position: int) -> int:
        """Records the run of plain top-level import lines (blank and comment lines between them) that
        starts at ``position``, the start of a line; returns where it ends (a line start)."""
        text = self.text
        found = self.found
        context = ((), False, False)
        match = _SIMPLE_IMPORT_LINE.match(text, position)
        while match is not None:
            modules = match.group("modules")
            if modules is not None:
                start = match.start("modules")
                for written in modules.split(","):
                    name = written.strip(" ").partition(" ")[0]
                    offset = start + len(written) - len(written.lstrip(" "))
                    found.append((name, 0, offset, offset + len(name), (), *context))
                    start += len(written) + 1
            else:
                start, stop = match.span("module")
                dotted = text[start:stop]
                module = dotted.lstrip(".")
                names = match.group("names")
                written_names = tuple(name.strip(" ").partition(" ")[0] for name in names.split(","))
                found.append((module, len(dotted) - len(module), start, stop, written_names, *context))
            position = self.end = match.end()
            match = _SIMPLE_IMPORT_LINE.match(text, position)
        return position

    def result(self) -> ScanResult:
        text = self.text
        modules: list[str] = []
        names_of: list[tuple[str, ...]] = []
        numbers = array("i")
        intern = sys.intern
        line = 0
        line_position = 0
        for module, level, start, stop, names, tries, type_checking, in_function in self.found:
            if start < line_position:  # only the careful lexer's error recovery goes back
                line = line_position = 0
            line += text.count("\n", line_position, start)
            line_position = start
            column = start - text.rfind("\n", 0, start) - 1
            if "\n" in text[start:stop]:
                end_line = line + text.count("\n", start, stop)
                end_column = stop - text.rfind("\n", 0, stop) - 1
            else:
                end_line = line
                end_column = column + stop - start
            flags = _TYPE_CHECKING if type_checking else 0
            if in_function:
                flags |= _IN_FUNCTION
            if tries and any(record.catches for record in tries):
                flags |= _OPTIONAL
            if names and level == 0 and module == "__future__":
                flags |= _FUTURE
            modules.append(intern(module))
            names_of.append(_share(names))
            numbers.extend((level, line, column, end_line, end_column, flags))
        return ScanResult.packed(tuple(modules), tuple(names_of), _narrowed(numbers),
                                 "; ".join(self.errors[:5]) or None)


def _parse_statement(text: str, keyword: str, position: int) -> _Parsed:
    """The modules of the import statement whose keyword starts at ``position``, and where it ends."""
    if keyword == "import":
        items: list[tuple[str, int, int, int, tuple[str, ...]]] = []
        end = position + 6
        while True:
            item = _IMPORT_ITEM.match(text, end)
            if item is None:
                return end, tuple(items), (_error(text, end, "incomplete import statement"),)
            start, stop = item.span("dotted")
            items.append((_module_name(item.group("dotted")), 0, start, stop, ()))
            end = item.end()
            if item.group("comma") is None:
                return end, tuple(items), ()
    head = _FROM_HEAD.match(text, position)
    if head is None:
        # not an import: `from` in `raise ... from`, or a syntax error
        return position + 4, (), ()
    errors = []
    written = head.group("module")
    start, stop = head.span("module")
    dotted = written.lstrip(". \t\f\\\n")
    level = written.count(".") - dotted.count(".")
    if start == stop:
        errors.append(_error(text, start, "import statement without a module"))
    names: list[str] = []
    end = head.end()
    if text.startswith("*", end):
        names.append("*")
        end += 1
    elif text.startswith("(", end):
        end += 1
        while (item := _FROM_PAREN_NAME.match(text, end)) is not None:
            names.append(_identifier(item.group("name")))
            end = item.end()
            if item.group("comma") is None:
                break
        closing = _PAREN_CLOSE.match(text, end)
        if closing is None:
            errors.append(_error(text, end, "unclosed parenthesis in import statement"))
        else:
            end = closing.end()
    else:
        while (item := _FROM_NAME.match(text, end)) is not None:
            names.append(_identifier(item.group("name")))
            end = item.end()
            if item.group("comma") is None:
                break
    if not names:
        errors.append(_error(text, end, "import statement without names"))
    return end, ((_module_name(dotted), level, start, stop, tuple(names)),), tuple(errors)


def _error(text: str, position: int, reason: str) -> str:
    return f"{reason} (line {text.count(chr(10), 0, position) + 1})"


def _identifier(name: str) -> str:
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


def _module_name(written: str) -> str:
    if not written.isascii() or "\\" in written or " " in written or "\t" in written or "\f" in written:
        return _identifier(_SPACE_IN_NAME.sub("", written))
    return written


def _scan_fast(text: str, last: int, positions: list[int], reaches: list[int], parsed: dict[int, _Parsed]) -> _Scanner:
    """Scans with the fast pattern, stopping at the lines indented no deeper than ``reaches[i]`` characters
    until ``positions[i]``; raises ``_ReachTooShort`` with what each import needed if that was not enough."""
    scanner = _Scanner(text, parsed)
    pattern, reach = _fast(reaches[0])
    next_import = 0  # index in `positions` of the first import not yet passed
    end = last + 6  # nothing past the last `import` can be an import statement
    length = len(text)
    position = 0
    certain = 0  # a position known to be at bracket depth 0
    needs: list[tuple[int, int]] = []  # (position, reach) each import statement needs
    short = False
    # the current logical line: its indent (CPython's columns), its indent in characters, whether it
    # starts with a block keyword (then `: import x` on it is in that block)
    header_line = -1  # where the last block-keyword line visited starts
    line_visited = 0  # where the last keyword line visited starts
    first = _LINE_KEYWORD.match(text)
    if first is not None:
        keyword = first.group(1)
        line_characters = first.start(1)
        if keyword == "import" or keyword == "from":
            if line_characters > 0:
                needs.append((first.start(1), line_characters - 1))
                short = line_characters - 1 > reach
        else:
            header_line = 0
        position = scanner.keyword_line(keyword, first.start(1), _indent_width(text[:line_characters]))
    while True:
        if position > last:
            if not scanner.undecided:
                break
            # the handlers of a try around the last imports come after them
            last = end = length
        if next_import < len(positions) - 1 and position > positions[next_import]:
            # past an import: lines deeper than those after it need no stop any more
            while next_import < len(positions) - 1 and positions[next_import] < position:
                next_import += 1
            needed = reaches[next_import]
            for record in scanner.undecided:
                needed = max(needed, record.indent)
            if needed < reach:
                pattern, reach = _fast(needed)
        match = pattern.match(text, position, end)
        assert match is not None  # the pattern matches the empty string
        stop = match.end()
        if stop >= end:
            if scanner.undecided and end < length:
                last = end = length
                position = stop
                continue
            break  # the cut-off: nothing after the last `import` can be an import statement
        char = text[stop]
        if char == "\n":
            found = _LINE_KEYWORD.match(text, stop + 1)
            if found is None:  # `import` right at the cut-off, followed by more word characters
                break
            keyword = found.group(1)
            at = found.start(1)
            indent = _indent_width(text[stop + 1 : at])
            if (
                keyword in _AMBIGUOUS_KEYWORDS
                and scanner.would_change(keyword, at, indent)
                and not _at_depth_zero(text, certain, at)
            ):
                raise _FastPathGaveUp  # inside brackets (or past a construct too deep to check)
            certain = at
            line_visited = stop + 1
            if keyword == "import" or keyword == "from":
                line_characters = at - stop - 1
                if line_characters > 0:
                    needs.append((at, line_characters - 1))
                    if line_characters - 1 > reach:
                        short = True
            else:
                header_line = stop + 1
            position = scanner.keyword_line(keyword, at, indent)
            if at == stop + 1 and not scanner.blocks and text.startswith("\n", position):
                # the next lines are likely more top-level imports: take the plain ones in one go
                position = certain = scanner.simple_imports(position + 1) - 1
            if last == length and not scanner.undecided:
                break
            continue
        if char == ":" or char == ";" or char == "\\":
            found = _AFTER_SEPARATOR.match(text, stop + 1)
            if found is not None:
                if char == "\\" and not _only_indent_before(text, stop):
                    # `raise E \\ from e`: a `from` that continues an expression
                    position = found.end()
                    continue
                # `if TYPE_CHECKING: import x`, `x = 1; import y`: the logical line must start this line
                line_start = text.rfind("\n", 0, stop) + 1
                if (
                    line_start != header_line
                    and line_start != line_visited
                    and (
                        certain > line_start
                        or text[line_start - 2 : line_start] == "\\\n"
                        or not _at_depth_zero(text, certain, line_start)
                    )
                ):
                    raise _FastPathGaveUp
                indent_text = text[line_start:stop]
                indent_text = indent_text[: len(indent_text) - len(indent_text.lstrip(" \t\f"))]
                needs.append((found.start(1), len(indent_text)))
                if len(indent_text) > reach:
                    short = True
                if line_start != header_line:
                    scanner.close_blocks(_indent_width(indent_text))
                position = certain = scanner.statement(found.group(1), found.start(1))
                continue
        if end < length:
            # a token crossing the cut-off point: lex it again without the cut-off
            end = length
            position = stop
            continue
        raise _FastPathGaveUp
    if short:
        raise _ReachTooShort(needs, scanner)
    return scanner


def _at_depth_zero(text: str, start: int, position: int) -> bool:
    """Whether ``position`` is outside brackets, given that ``start`` is."""
    match = _compiled_pattern(_DEPTH_ZERO_KEY).match(text, start, position)
    return match is not None and match.end() == position


def _only_indent_before(text: str, position: int) -> bool:
    line_start = text.rfind("\n", 0, position) + 1
    return not text[line_start:position].strip(" \t\f")


# ---------------------------------------------------------------------------------------------------------
# The careful lexer: token by token, CPython's rules (PEP 701 f-strings included), with error recovery.

_TOKEN = re.compile(
    r"(?P<space>[ \t\f]+)|(?P<newline>\n)|(?P<comment>\#[^\n]*)|(?P<continuation>\\\n)"
    r"|(?P<name>[^\W\d]\w*)|(?P<number>\d\w*)|(?P<quote>['\"])|(?P<open>[(\[{])|(?P<close>[)\]}])"
    r"|(?P<separator>[:;])|(?P<other>.)",
    re.DOTALL,
)
_STRING_PREFIXES = frozenset({"r", "u", "b", "br", "rb", "f", "fr", "rf", "t", "tr", "rt"})
_PLAIN_STRING = {
    ('"', True): re.compile(r'[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""', re.DOTALL),
    ("'", True): re.compile(r"[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''", re.DOTALL),
    ('"', False): re.compile(r'[^"\\\n]*(?:\\.[^"\\\n]*)*"', re.DOTALL),
    ("'", False): re.compile(r"[^'\\\n]*(?:\\.[^'\\\n]*)*'", re.DOTALL),
}
_FSTRING_SPECIAL = re.compile(r"[\\{}\n'\"]")
_FIELD_SPECIAL = re.compile(r"[\\{}\n'\"()\[\]#:!]")
# Statements that cannot continue an expression: seeing one at the start of a line inside brackets means
# a bracket was left open.
_STATEMENT_START = re.compile(
    r"[ \t\f]*(?:(?:import|def|class|try|except|finally|while|with|return|pass|raise|del|global|nonlocal"
    rf"|assert|break|continue)\b|from{_GAP}[.\w]+{_GAP}import\b)"
)
_MAX_FSTRING_NESTING = 40


class _Unterminated(Exception):
    pass


def _string_end(text: str, position: int, prefix: str) -> int:
    """``position`` is at the opening quote; returns the index after the closing one."""
    quote = text[position]
    triple = text.startswith(quote * 3, position)
    start = position + (3 if triple else 1)
    if "f" in prefix or "t" in prefix:
        return _fstring_end(text, start, quote, triple, "r" in prefix, 0)
    match = _PLAIN_STRING[quote, triple].match(text, start)
    if match is None:
        raise _Unterminated
    return match.end()


def _fstring_end(text: str, position: int, quote: str, triple: bool, raw: bool, nesting: int) -> int:
    if nesting > _MAX_FSTRING_NESTING:
        raise _Unterminated
    closing = quote * 3 if triple else quote
    while True:
        found = _FSTRING_SPECIAL.search(text, position)
        if found is None:
            raise _Unterminated
        position = found.start()
        char = text[position]
        if char == "\\":
            following = text[position + 1 : position + 2]
            if following in ("{", "}"):
                position += 1
            elif following == "N" and not raw and text.startswith("{", position + 2):
                brace = text.find("}", position + 3)
                position = brace + 1 if brace != -1 else position + 2
            else:
                position += 2
        elif char == "\n":
            if not triple:
                raise _Unterminated
            position += 1
        elif char == quote:
            if text.startswith(closing, position):
                return position + len(closing)
            position += 1
        elif char in "'\"":
            position += 1
        elif char == "{":
            if text.startswith("{{", position):
                position += 2
            else:
                position = _field_end(text, position + 1, quote, triple, nesting)
        else:  # "}": "}}" or a stray one
            position += 2 if text.startswith("}}", position) else 1


def _field_end(text: str, position: int, quote: str, triple: bool, nesting: int) -> int:
    """``position`` is after the ``{`` of a replacement field; returns the index after its ``}``."""
    depth = 0
    while True:
        found = _FIELD_SPECIAL.search(text, position)
        if found is None:
            raise _Unterminated
        position = found.start()
        char = text[position]
        if char in "([{":
            depth += 1
            position += 1
        elif char in ")]":
            depth -= 1
            position += 1
        elif char == "}":
            if depth <= 0:
                return position + 1
            depth -= 1
            position += 1
        elif char in "'\"":
            prefix_start = position
            while prefix_start > 0 and text[prefix_start - 1].isalpha():
                prefix_start -= 1
            prefix = text[prefix_start:position].lower()
            if prefix not in _STRING_PREFIXES:
                prefix = ""
            inner_triple = text.startswith(char * 3, position)
            start = position + (3 if inner_triple else 1)
            if "f" in prefix or "t" in prefix:
                position = _fstring_end(text, start, char, inner_triple, "r" in prefix, nesting + 1)
            else:
                match = _PLAIN_STRING[char, inner_triple].match(text, start)
                if match is None:
                    raise _Unterminated
                position = match.end()
        elif char == "#":
            newline = text.find("\n", position)
            if newline == -1:
                raise _Unterminated
            position = newline
        elif char == "\n":
            position += 1
        elif char == "\\":
            position += 2
        elif char == "!" and depth <= 0 and not text.startswith("!=", position):
            position += 1
        elif char == ":" and depth <= 0:
            return _format_spec_end(text, position + 1, quote, triple, nesting)
        else:
            position += 1


def _format_spec_end(text: str, position: int, quote: str, triple: bool, nesting: int) -> int:
    closing = quote * 3 if triple else quote
    while True:
        found = _FSTRING_SPECIAL.search(text, position)
        if found is None:
            raise _Unterminated
        position = found.start()
        char = text[position]
        if char == "}":
            return position + 1
        if char == "{":
            position = _field_end(text, position + 1, quote, triple, nesting + 1)
        elif (char == "\n" and not triple) or (char == quote and text.startswith(closing, position)):
            raise _Unterminated
        else:
            position += 2 if char == "\\" else 1


def _scan_careful(text: str) -> ScanResult:
    scanner = _Scanner(text, {})
    length = len(text)
    position = 0
    depth = 0
    line_start = True  # the next significant token starts a logical line
    line_indent = 0
    header_on_line = False
    previous = ""  # the previous significant token on this logical line (depth 0)
    physical_line_start = 0
    while position < length:
        token = _TOKEN.match(text, position)
        assert token is not None  # `.` with DOTALL matches any character
        kind = token.lastgroup
        start, end = token.span()
        if kind == "space" or kind == "comment" or kind == "continuation":
            position = end
            continue
        if kind == "newline":
            position = end
            physical_line_start = end
            if depth == 0:
                line_start = True
            elif _STATEMENT_START.match(text, end):
                scanner.errors.append(_error(text, end, "unclosed bracket before this line"))
                depth = 0
                line_start = True
            continue
        if line_start and depth == 0:
            line_start = False
            header_on_line = False
            previous = ""
            line_indent = _indent_width(text[physical_line_start:start])
            scanner.close_blocks(line_indent)
            if kind == "name" and token.group() in _KEYWORD_SET:
                keyword = token.group()
                position = scanner.keyword_line(keyword, start, line_indent)
                header_on_line = keyword != "import" and keyword != "from"
                previous = keyword
                continue
        if kind == "quote" or (
            kind == "name" and text[end : end + 1] in ("'", '"') and token.group().lower() in _STRING_PREFIXES
        ):
            prefix = "" if kind == "quote" else token.group().lower()
            quote_at = start if kind == "quote" else end
            try:
                position = _string_end(text, quote_at, prefix)
            except _Unterminated:
                if text.startswith(text[quote_at] * 3, quote_at):
                    scanner.errors.append(_error(text, quote_at, "unterminated triple-quoted string"))
                    break
                scanner.errors.append(_error(text, quote_at, "unterminated string"))
                newline = text.find("\n", quote_at)
                position = length if newline == -1 else newline
            previous = "string"
            continue
        position = end
        if kind == "open":
            depth += 1
        elif kind == "close":
            if depth == 0:
                scanner.errors.append(_error(text, start, f"unmatched {token.group()!r}"))
            else:
                depth -= 1
        elif depth == 0 and kind == "name" and token.group() in ("import", "from") and previous in (":", ";"):
            if not (previous == ":" and header_on_line):
                scanner.close_blocks(line_indent)
            position = scanner.statement(token.group(), start)
        if depth == 0:
            previous = token.group() if kind == "separator" else kind or ""
    return scanner.result()


_KEYWORD_SET = frozenset(_KEYWORDS.split("|"))


def scan_source(text: str) -> ScanResult:
    """The import statements of Python source ``text`` (never raises)."""
    if "import" not in text:
        return _NOTHING
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        last = _last_import(text)
        if last < 0:
            return _NOTHING
        # First only the import statements (enough when none is nested), then, if some are, again with
        # the lines that may enclose them; a form feed resets indentation: then every line.
        unlimited = [_NO_REACH_LIMIT]
        parsed: dict[int, _Parsed] = {}
        try:
            return _scan_fast(text, last, [last], unlimited if "\f" in text else [-1], parsed).result()
        except _ReachTooShort as short:
            needs = short.needs
            first = short.scanner
        # The second pass ends after the last nested import (and the handlers of its tries); the top-level
        # imports after it are as the first pass found them.
        nested = max(position for position, reach in needs if reach >= 0)
        try:
            second = _scan_fast(text, nested, *_plan(needs, nested), parsed)
        except _ReachTooShort:
            return _scan_fast(text, last, [last], unlimited, parsed).result()
        second.found.extend(found for found in first.found if found[2] >= second.end)
        second.errors.extend(error for error in first.errors if error not in second.errors)
        return second.result()
    except _FastPathGaveUp:
        pass
    try:
        return _scan_careful(text)
    except RecursionError:
        return ScanResult((), "the file is nested too deeply to scan")


_NOTHING = ScanResult(())


# ---------------------------------------------------------------------------------------------------------
# Bytes, files and trees.

# PEP 263: the cookie must be in a comment on line 1, or on line 2 when line 1 is a comment or blank.
_CODING_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_BLANK_OR_COMMENT = re.compile(rb"^[ \t\f]*(?:[#\r\n]|$)")


def _source_encoding(data: bytes) -> str:
    first, _, rest = data.partition(b"\n")
    found = _CODING_COOKIE.match(first)
    if found is None and _BLANK_OR_COMMENT.match(first):
        found = _CODING_COOKIE.match(rest.partition(b"\n")[0])
    return found.group(1).decode("ascii") if found else "utf-8"


def scan_bytes(data: bytes) -> ScanResult:
    """The import statements of a source file's bytes, decoded as Python does (a UTF-8 BOM, else the PEP
    263 coding cookie, else UTF-8). Never raises: a file that cannot be decoded is scanned as far as its
    decodable text goes and gets an ``error``; a file with NUL bytes is binary and has no imports."""
    if b"import" not in data:
        return _NOTHING
    if b"\x00" in data:
        return ScanResult((), "binary file (contains NUL bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8"
        data = data[3:]
    elif data.isascii() and b"coding" not in data[:400]:
        return scan_source(data.decode("ascii"))
    else:
        encoding = _source_encoding(data)
    try:
        text = data.decode(encoding)
    except LookupError:
        return _with_error(scan_source(data.decode("utf-8", "replace")), f"unknown encoding {encoding!r}")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return _with_error(scan_source(data.decode(encoding, "replace")), f"not valid {encoding} (line {line})")
    return scan_source(text)


def _with_error(result: ScanResult, reason: str) -> ScanResult:
    return ScanResult.packed(result._modules, result._names, result._numbers,
                             reason if result.error is None else f"{reason}; {result.error}")


_cache: dict[str, tuple[int, int, ScanResult]] = {}
_cache_lock = threading.Lock()


def scan_file(path: Path) -> ScanResult:
    """The import statements of one file, from a process-wide cache while its mtime and size are unchanged.

    Never raises: a file that cannot be read gets an ``error`` and no imports (and is not cached)."""
    name = os.fspath(path)
    try:
        status = os.stat(name)
    except OSError as error:
        return ScanResult((), f"cannot be read ({error.strerror or error})")
    cached = _cache.get(name)
    if cached is not None and cached[0] == status.st_mtime_ns and cached[1] == status.st_size:
        return cached[2]
    return _read_and_scan(name)


def _read_and_scan(name: str) -> ScanResult:
    try:
        with open(name, "rb") as file:
            status = os.fstat(file.fileno())
            data = file.read()
    except OSError as error:
        return ScanResult((), f"cannot be read ({error.strerror or error})")
    result = scan_bytes(data)
    with _cache_lock:
        _cache[name] = (status.st_mtime_ns, status.st_size, result)
    return result


def scan_files(paths: Sequence[Path]) -> dict[Path, ScanResult]:
    """``scan_file`` for many files: what ``venvsense check`` uses for a whole project."""
    results: dict[Path, ScanResult] = {}
    cache = _cache
    stat = os.stat
    for path in paths:
        name = os.fspath(path)
        cached = cache.get(name)
        if cached is not None:
            try:
                status = stat(name)
            except OSError as error:
                results[path] = ScanResult((), f"cannot be read ({error.strerror or error})")
                continue
            if cached[0] == status.st_mtime_ns and cached[1] == status.st_size:
                results[path] = cached[2]
                continue
        results[path] = _read_and_scan(name)
    return results


def clear_cache() -> None:
    """Forget every cached scan (tests and long-running servers that want memory back)."""
    with _cache_lock:
        _cache.clear()


# ---------------------------------------------------------------------------------------------------------
# The on-disk cache: what repeated ``venvsense check`` runs share.
#
# One file per project under the user's cache folder (never inside the project), holding for each scanned file
# its (mtime, size) and packed imports (see ``ScanResult``), ``marshal``-ed: loading it is quick next to
# scanning, which is most of a cold check. Written atomically (a temporary file renamed over the old one); a file
# that cannot be read, is corrupt or was written by another version is ignored and rewritten. Small projects scan
# faster than the cache would load, so only projects of ``PERSISTENT_MIN_FILES`` files or more use it.

PERSISTENT_MIN_FILES = 500
_PERSISTENT_FORMAT = ("venvsense-scan-cache", 4, tuple(f.name for f in fields(ImportStatement)), sys.byteorder,
                      array("i").itemsize, array("H").itemsize)
_RACY_NS = 2_000_000_000  # a file changed this recently may change again within its mtime's granularity
_persistent_enabled = False


def enable_persistent_cache(enabled: bool = True) -> None:
    """Let ``load_persistent_cache``/``save_persistent_cache`` use the cache folder (the CLI turns it on;
    library users and the language server, which keeps its cache in memory, leave it off)."""
    global _persistent_enabled
    _persistent_enabled = enabled


def persistent_cache_dir() -> Path | None:
    """``$VENVSENSE_CACHE_DIR`` (empty: no cache), else ``$XDG_CACHE_HOME/venvsense``, else
    ``~/.cache/venvsense`` (``%LOCALAPPDATA%\\venvsense\\Cache`` on Windows)."""
    configured = os.environ.get("VENVSENSE_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "venvsense" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "venvsense" if os.path.isabs(base) else None


def _persistent_file(root: Path) -> Path | None:
    if not _persistent_enabled:
        return None
    folder = persistent_cache_dir()
    if folder is None:
        return None
    import zlib  # (hashlib costs more to import than a warm check spends here)

    try:
        resolved_root = root.resolve()
        resolved = folder.resolve()
    except (OSError, RuntimeError):
        return None
    if resolved == resolved_root or resolved_root in resolved.parents:
        return None  # never write into the project
    # a name per project; two projects sharing one (a 64-bit collision) would only evict each other's entries,
    # which are keyed by absolute path
    encoded = os.fsencode(resolved_root)
    digest = f"{zlib.crc32(encoded):08x}{zlib.adler32(encoded):08x}"
    return resolved / f"scans-{digest}.marshal"


def _stored(result: ScanResult) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], str, bytes]:
    return (result._modules, result._names, result._numbers.typecode, result._numbers.tobytes())


def _loaded(modules: object, names: object, typecode: object, numbers: object, error: object) -> ScanResult:
    if not (isinstance(modules, tuple) and isinstance(names, tuple) and typecode in ("H", "i")
            and isinstance(numbers, bytes) and (error is None or isinstance(error, str))):
        raise ValueError("not a stored scan")
    if not modules and error is None:
        return _NOTHING
    packed = array(typecode)
    packed.frombytes(numbers)
    # marshal gives back interned strings interned, and an object written several times (a shared names
    # tuple) as one object: the loaded scans share as the saved ones did
    return ScanResult.packed(modules, names, packed, error)


def load_persistent_cache(root: Path, files: int | None) -> int:
    """Fill the in-memory cache from the project's on-disk cache (entries already in memory win); how many
    entries were loaded. ``files``: how many files the project has (``None``: not known yet, load whatever is
    there). Never raises."""
    path = _persistent_file(root) if files is None or files >= PERSISTENT_MIN_FILES else None
    if path is None or os.fspath(root) in _persistent_loaded:
        return 0
    import marshal

    _persistent_payloads.pop(os.fspath(root), None)
    _persistent_values.pop(os.fspath(root), None)
    _persistent_extra.pop(os.fspath(root), None)
    try:
        with open(path, "rb") as handle:
            data = marshal.loads(handle.read())
        header, entries, extra = data
        if header != _PERSISTENT_FORMAT:
            return 0
        loaded: dict[str, tuple[int, int, ScanResult]] = {}
        payloads: dict[str, tuple[ScanResult, object]] = {}
        values: dict[str, object] = {}
        for name, mtime, size, error, (modules, names, typecode, numbers), payload in entries:
            result = _loaded(modules, names, typecode, numbers, error)
            loaded[name] = (mtime, size, result)
            if payload is not None:
                payloads[name] = (result, payload)
                values[name] = payload
    except Exception:  # a corrupt or foreign cache is no cache; it is rewritten after the scan
        return 0
    with _cache_lock:
        for name, entry in loaded.items():
            _cache.setdefault(name, entry)
    key = os.fspath(root)
    _persistent_loaded[key] = {name: entry[:2] for name, entry in loaded.items()}
    _persistent_payloads[key] = payloads
    _persistent_values[key] = values
    _persistent_extra[key] = extra
    return len(loaded)


_persistent_loaded: dict[str, dict[str, tuple[int, int]]] = {}
_persistent_payloads: dict[str, dict[str, tuple[ScanResult, object]]] = {}
_persistent_values: dict[str, dict[str, object]] = {}
_persistent_extra: dict[str, object] = {}


def persistent_payload(root: Path, name: str, result: ScanResult) -> object:
    """What the last run stored beside the on-disk scan of file ``name`` (see ``save_persistent_cache``), when
    ``result`` is that very scan (so the file is unchanged since); else ``None``."""
    stored = _persistent_payloads.get(os.fspath(root), {}).get(name)
    return stored[1] if stored is not None and stored[0] is result else None


def persistent_extra(root: Path) -> object:
    """What the last run stored for the whole project beside its on-disk scans; ``None`` when nothing was."""
    return _persistent_extra.get(os.fspath(root))


def persistent_cache_active(root: Path, files: int) -> bool:
    """Whether ``save_persistent_cache`` would write a project of ``files`` files."""
    return files >= PERSISTENT_MIN_FILES and _persistent_file(root) is not None


def save_persistent_cache(root: Path, paths: Sequence[Path], payloads: Mapping[str, object] | None = None,
                          extra: object = None) -> bool:
    """Write the cached scans of ``paths`` to the project's on-disk cache, when they differ from what was
    loaded; whether it wrote. ``payloads`` (by file name) and ``extra`` are stored with them (plain values
    ``marshal`` can write): a file's payload is given back by ``persistent_payload`` only while the file is
    unchanged. Never raises (a cache that cannot be written is skipped)."""
    path = _persistent_file(root) if len(paths) >= PERSISTENT_MIN_FILES else None
    if path is None:
        return False
    import marshal
    import tempfile
    import time

    payloads = payloads or {}
    racy = time.time_ns() - _RACY_NS
    kept: list[tuple[str, int, int, ScanResult]] = []
    stamps: dict[str, tuple[int, int]] = {}
    with _cache_lock:
        for file in paths:
            name = os.fspath(file)
            cached = _cache.get(name)
            if cached is not None and cached[0] <= racy:
                kept.append((name, *cached))
                stamps[name] = cached[:2]
    key = os.fspath(root)
    stored = {name: value for name, value in payloads.items() if name in stamps}
    same_payloads = stored == _persistent_values.get(key, {})
    if stamps == _persistent_loaded.get(key) and extra == _persistent_extra.get(key) and same_payloads:
        return False
    entries = [(name, mtime, size, result.error, _stored(result), payloads.get(name))
               for name, mtime, size, result in kept]
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                written: Any = (_PERSISTENT_FORMAT, tuple(entries), extra)
                handle.write(marshal.dumps(written))
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, ValueError):  # ValueError: a payload marshal cannot write
        return False
    _persistent_loaded[key] = stamps
    _persistent_payloads[key] = {name: (result, payloads[name]) for name, _, _, result in kept if name in payloads}
    _persistent_values[key] = {name: payloads[name] for name, _, _, _ in kept if name in payloads}
    _persistent_extra[key] = extra
    return True


# Directories that never hold a project's own modules.
SKIPPED_DIRECTORIES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        ".tox",
        ".nox",
        "site-packages",
        "dist-packages",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".eggs",
        ".venv",
        ".direnv",
        ".idea",
        ".vscode",
        "__pypackages__",
    }
)


def iter_python_files(
    root: Path, *, exclude: Callable[[Path], bool] | None = None,
    exclude_folder: Callable[[Path], bool] | None = None, exclude_file: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """The ``*.py`` files under ``root``, in a stable order (each folder's files, then its sub-folders,
    sorted by name).

    Skipped: virtual environments (a folder holding ``pyvenv.cfg``), the folders of
    ``SKIPPED_DIRECTORIES``, ``*.egg-info``, folders that cannot be read, and folders already visited
    through a symbolic link. ``exclude`` is asked about every folder and file (a folder it excludes is not
    entered); ``exclude_folder`` only about folders, ``exclude_file`` only about files (no need to ``stat``
    a path to tell which it is).
    """
    if exclude is not None:
        exclude_folder = _either(exclude, exclude_folder)
        exclude_file = _either(exclude, exclude_file)
    visited: set[tuple[int, int]] = set()
    pending = [os.fspath(root)]
    while pending:
        folder = pending.pop()
        try:
            status = os.stat(folder)
            identity = (status.st_dev, status.st_ino)
            if identity in visited:
                continue
            visited.add(identity)
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue
        folders: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir():
                    if name in SKIPPED_DIRECTORIES or name.endswith(".egg-info"):
                        continue
                    if exclude_folder is not None and exclude_folder(Path(entry.path)):
                        continue
                    folders.append(entry.path)
                elif name.endswith(".py") and entry.is_file():
                    path = Path(entry.path)
                    if exclude_file is None or not exclude_file(path):
                        yield path
            except OSError:
                continue
        for sub in reversed(folders):
            if not os.path.isfile(os.path.join(sub, "pyvenv.cfg")):
                pending.append(sub)


def _either(first: Callable[[Path], bool], second: Callable[[Path], bool] | None) -> Callable[[Path], bool]:
    if second is None:
        return first
    return lambda path: first(path) or second(path)

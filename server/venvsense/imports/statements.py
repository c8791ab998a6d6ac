"""Import statements and the blocks around them, shared by the fast scanner and the careful lexer: parsing one
``import``/``from`` statement, and the block context (``try``/``except ImportError``, ``if TYPE_CHECKING:``,
``def``/``class``, ``if``/``elif``/``else`` on the Python version or platform: ``gates``; an ``if`` that tests a
module is there, and the ``else:`` of a ``try`` whose handler catches ``ImportError``: ``guards``) that decides an
import's flags and gate.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from array import array

from venvsense.imports.gates import condition_at, negated
from venvsense.imports.guards import header_guard
from venvsense.imports.records import (
    FLAG_FALLBACK,
    FLAG_FUTURE,
    FLAG_IN_FUNCTION,
    FLAG_OPTIONAL,
    FLAG_TYPE_CHECKING,
    GATE_SHIFT,
    ScanResult,
    share_names,
    shared_names_get,
)
from venvsense.text import lazy_pattern

BLOCK_KEYWORDS = "if|elif|else|try|except|finally|for|while|with|def|class|async|match|case"
KEYWORDS = BLOCK_KEYWORDS + "|import|from"
IMPORT_WORD = r"(?:import|from)\b"
GAP = r"(?:[ \t\f]|\\\n)*"  # whitespace within a logical line, line continuations included

_NAME = r"[^\W\d]\w*"
_DOTTED = rf"{_NAME}(?:{GAP}\.{GAP}{_NAME})*"
_IMPORT_ITEM = re.compile(
    rf"{GAP}(?P<dotted>(?!(?:import|from|as)\b){_DOTTED})(?:{GAP}as\b{GAP}{_NAME})?{GAP}(?P<comma>,)?"
)
_FROM_HEAD = re.compile(
    rf"from\b{GAP}(?P<module>(?:\.(?:{GAP}\.)*)?(?:{GAP}(?!import\b){_DOTTED})?){GAP}import\b{GAP}"
)
_FROM_NAME = re.compile(rf"{GAP}(?P<name>(?!(?:import|as)\b){_NAME})(?:{GAP}as\b{GAP}{_NAME})?{GAP}(?P<comma>,)?")
_PAREN_GAP = r"(?:\s|\\\n|\#[^\n]*(?![^\n]))*"  # a comment runs to the end of its line (no backtracking into it)
# a whole line holding one plain import statement at the start of the line (what most files start with)
_ASCII_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ASCII_DOTTED = rf"{_ASCII_NAME}(?:\.{_ASCII_NAME})*"
# the names of a plain parenthesised `from` import, one or many lines (no comments, no line continuations): what
# `_FROM_PAREN_NAME` and `_PAREN_CLOSE` read the same way
_LISTED_NAME = rf"(?!as\b){_ASCII_NAME}(?:[ \t\n]+as[ \t\n]+{_ASCII_NAME})?"
_LISTED_NAMES = rf"[ \t\n]*{_LISTED_NAME}(?:[ \t\n]*,[ \t\n]*{_LISTED_NAME})*[ \t\n]*,?[ \t\n]*"
_SIMPLE_IMPORT_LINE = re.compile(
    rf"(?:[ \t]*(?:\#[^\n]*)?\n)*"
    rf"(?:import (?P<modules>{_ASCII_DOTTED}(?: as {_ASCII_NAME})?(?:, {_ASCII_DOTTED}(?: as {_ASCII_NAME})?)*)"
    rf"|from (?P<module>\.*{_ASCII_DOTTED}|\.+) import (?:(?P<names>\*|{_ASCII_NAME}(?: as {_ASCII_NAME})?"
    rf"(?:, {_ASCII_NAME}(?: as {_ASCII_NAME})?)*)|\((?P<listed>{_LISTED_NAMES})\)))[ \t]*(?:\#[^\n]*)?\n"
)
# one plain import statement from its keyword to the end of its line, read as `_parse_statement` reads it (no
# keyword where a name is read, no continuation, no comment inside brackets, ASCII names): the common case
_PLAIN_STATEMENT = re.compile(
    rf"(?:import (?P<modules>(?!(?:import|from|as)\b){_ASCII_DOTTED}(?: as {_ASCII_NAME})?"
    rf"(?:, (?!(?:import|from|as)\b){_ASCII_DOTTED}(?: as {_ASCII_NAME})?)*)"
    rf"|from (?P<module>\.*(?!import\b){_ASCII_DOTTED}|\.+) import (?:(?P<names>\*"
    rf"|(?!(?:import|as)\b){_ASCII_NAME}(?: as {_ASCII_NAME})?"
    rf"(?:, (?!(?:import|as)\b){_ASCII_NAME}(?: as {_ASCII_NAME})?)*)"
    rf"|\((?P<listed>{_LISTED_NAMES})\)))(?P<gap>[ \t]*)(?:\#[^\n]*)?\n"
)
_FROM_PAREN_NAME = re.compile(
    rf"{_PAREN_GAP}(?P<name>(?!as\b){_NAME})(?:{_PAREN_GAP}as\b{_PAREN_GAP}{_NAME})?{_PAREN_GAP}(?P<comma>,)?"
)
_PAREN_CLOSE = re.compile(rf"{_PAREN_GAP}\)")
_SPACE_IN_NAME = re.compile(r"[\s\\]+")
_AS_NAME = lazy_pattern(r"\bas[ \t]+([^\W\d]\w*)")
_TYPE_CHECKING_TEST = re.compile(
    rf"(?:el)?if{GAP}(?:\({GAP})?(?:{_NAME}{GAP}\.{GAP})?TYPE_CHECKING{GAP}(?:\){GAP})?:"
)
_HANDLER = re.compile(r"except\b\s*\*?\s*(?P<type>[^:#]*?)\s*(?:\bas\b\s*\w+\s*)?:")
_COMMENT = re.compile(r"#[^\n]*")
_CATCHES_IMPORT_ERROR = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


class _Try:
    __slots__ = ("catches", "indent")

    def __init__(self, indent: int) -> None:
        self.indent = indent
        self.catches = False


# the record of an availability guard's body (``guards``): optional, as a try body whose handler catches ImportError
_GUARDED = _Try(-1)
_GUARDED.catches = True


def indent_width(indent: str) -> int:
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


ParsedStatement = tuple[int, tuple[tuple[str, int, int, int, tuple[str, ...]], ...], tuple[str, ...]]
# an import's context: the tries around it, under TYPE_CHECKING, in a def/class, in an ImportError handler, gate
Context = tuple[tuple[_Try, ...], bool, bool, bool, str]
_NO_CONTEXT: Context = ((), False, False, False, "")


class ImportCollector:
    """Statement parsing and the block context, shared by the fast and the careful lexers.

    ``parsed`` caches the statements parsed by an earlier pass over the same text (by keyword position)."""

    __slots__ = ("_context", "_header", "blocks", "chains", "end", "errors", "found", "last_at", "parsed", "text",
                 "try_at_indent", "undecided")

    def __init__(self, text: str, parsed: dict[int, ParsedStatement]) -> None:
        self.text = text
        # block stack: (indent, kind, try record, gate); kind is "def", "tc", "try", "fb" (a handler catching
        # ImportError), "gate" (an if/elif/else on sys.version_info or sys.platform) or "" (any other block)
        self.blocks: list[tuple[int, str, _Try | None, str]] = []
        self.try_at_indent: dict[int, _Try] = {}
        # the conditions (gate atoms, None when not one) of the if/elif chain last seen at each indent
        self.chains: dict[int, list[str | None]] = {}
        # (module, level, start, stop, names, context) of each statement found, in order
        self.found: list[tuple[str, int, int, int, tuple[str, ...], Context]] = []
        self.errors: list[str] = []
        # tries with imports in their body whose handlers have not all been seen yet
        self.undecided: list[_Try] = []
        self.parsed = parsed
        self.end = 0  # where the last statement ends
        self._context: Context | None = _NO_CONTEXT
        # the last `if`/`elif` header read: (position, under TYPE_CHECKING, its gate atom, an availability guard)
        self._header: tuple[int, bool, str | None, bool] = (-1, False, None, False)
        # the keyword of the last keyword line seen at each indent (an `else` after `except` is the try's)
        self.last_at: dict[int, str] = {}

    # -- context
    def close_blocks(self, indent: int) -> None:
        blocks = self.blocks
        if blocks and blocks[-1][0] >= indent:
            self._context = None
            while blocks and blocks[-1][0] >= indent:
                blocks.pop()

    def _if_header(self, keyword: str, position: int) -> tuple[int, bool, str | None, bool]:
        """Whether the ``if``/``elif`` header at ``position`` tests TYPE_CHECKING, its gate atom, and whether it
        tests a module is there (``guarded``; read once for ``would_change`` and ``keyword_line``)."""
        header = self._header
        if header[0] != position:
            text = self.text
            type_checking = _TYPE_CHECKING_TEST.match(text, position) is not None
            found = self.found
            header = self._header = (
                position, type_checking, condition_at(text, position),
                not type_checking and header_guard(text, position, keyword, lambda: _optionally_bound(text, found)),
            )
        return header

    def would_change(self, keyword: str, position: int, indent: int) -> bool:
        """Whether a line at ``indent`` starting with ``keyword`` would change the block context."""
        blocks = self.blocks
        if (blocks and blocks[-1][0] >= indent) or (
                self.undecided and any(record.indent >= indent for record in self.undecided)):
            return True
        if keyword == "if":
            _, type_checking, atom, guarded = self._if_header(keyword, position)
            return type_checking or atom is not None or guarded
        return keyword == "else" and (any(self.chains.get(indent, ())) or _try_else(self, indent) is not None)

    def keyword_line(self, keyword: str, position: int, indent: int) -> int:
        """A logical line at ``indent`` starts with ``keyword`` at ``position``; returns where lexing goes on."""
        blocks = self.blocks
        if blocks and blocks[-1][0] >= indent:  # (`close_blocks`, inlined: this runs at every stop)
            self._context = None
            while blocks and blocks[-1][0] >= indent:
                blocks.pop()
        if self.undecided:
            # A try statement ends at the first line at its indent that is not one of its clauses.
            self.undecided = [
                record
                for record in self.undecided
                if record.indent < indent or (record.indent == indent and keyword == "except")
            ]
        chains = self.chains
        if chains and keyword != "elif" and keyword != "else":
            for deeper in [at for at in chains if at >= indent]:
                del chains[deeper]
        previous = self.last_at.get(indent)
        self.last_at[indent] = keyword
        if keyword == "def" or keyword == "class" or keyword == "async":
            blocks.append((indent, "def", None, ""))
            self._context = None
            return position + len(keyword)
        if keyword == "import" or keyword == "from":
            return self.statement(keyword, position)
        if keyword == "try":
            opened = _Try(indent)
            self.try_at_indent[indent] = opened
            self.blocks.append((indent, "try", opened, ""))
            self._context = None
        elif keyword == "except":
            here = _handler_catches_import_error(self.text, position)
            record = self.try_at_indent.get(indent)
            if record is not None and not record.catches:
                record.catches = here
                if record.catches and record in self.undecided:
                    self.undecided.remove(record)
            if here:
                self.blocks.append((indent, "fb", None, ""))
                self._context = None
        elif keyword == "if" or keyword == "elif":
            _, type_checking, atom, guarded = self._if_header(keyword, position)
            if type_checking:
                blocks.append((indent, "tc", None, ""))
                self._context = None
            elif guarded:
                blocks.append((indent, "", _GUARDED, ""))
                self._context = None
            self._gate(keyword, atom, indent)
        elif keyword == "else":
            record = _try_else(self, indent, previous)
            if record is not None:  # runs only when the try's imports worked
                blocks.append((indent, "", record, ""))
                self._context = None
            self._gate(keyword, None, indent)
        return position + len(keyword)

    def _gate(self, keyword: str, atom: str | None, indent: int) -> None:
        """Opens the gate block of an ``if``/``elif``/``else`` on the Python version or platform (``atom``: the
        condition of an ``if``/``elif`` as a gate atom, if it is one): its own condition and the negation of
        the chain's earlier ones (those that could be read)."""
        chain: list[str | None] | None
        if keyword == "if":  # (a new chain: nothing earlier to negate)
            self.chains[indent] = [atom]
            if atom is not None:
                self.blocks.append((indent, "gate", None, atom))
                self._context = None
            return
        if keyword == "elif":
            chain = self.chains.setdefault(indent, [])
        else:
            chain = self.chains.pop(indent, None)
            if chain is None:
                return
        atoms = [negated(earlier) for earlier in chain if earlier is not None]
        if atom is not None:
            atoms.append(atom)
        if keyword != "else":
            chain.append(atom)
        if atoms:
            self.blocks.append((indent, "gate", None, "&".join(atoms)))
            self._context = None

    def context(self) -> Context:
        context = self._context
        if context is None:
            tries = []
            type_checking = in_function = fallback = False
            gates = []
            for _, kind, record, gate in self.blocks:
                if record is not None:
                    tries.append(record)
                if kind == "def":
                    in_function = True
                elif kind == "tc":
                    type_checking = True
                elif kind == "fb":
                    fallback = True
                elif gate:
                    gates.append(gate)
            context = self._context = (
                tuple(tries), type_checking, in_function, fallback, sys.intern("&".join(gates)),
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
            context = self.context()
            for record in context[0]:
                if not record.catches and record not in self.undecided:
                    self.undecided.append(record)
            found = self.found
            for module, level, start, stop, names in items:
                found.append((module, level, start, stop, names, context))
        return end

    def simple_imports(self, position: int) -> int:
        """Records the run of plain top-level import lines (blank and comment lines between them) that
        starts at ``position``, the start of a line; returns where it ends (a line start)."""
        text = self.text
        append = self.found.append
        context = _NO_CONTEXT
        line = _SIMPLE_IMPORT_LINE.match
        match = line(text, position)
        while match is not None:
            modules, dotted, names, listed = match.groups()
            if modules is not None:
                start = match.start(1)
                if "," not in modules and " " not in modules:  # `import a.b`
                    append((modules, 0, start, start + len(modules), (), context))
                else:
                    for written in modules.split(","):
                        name = written.strip(" ").partition(" ")[0]
                        offset = start + len(written) - len(written.lstrip(" "))
                        append((name, 0, offset, offset + len(name), (), context))
                        start += len(written) + 1
            else:
                start = match.start(2)
                stop = start + len(dotted)
                module = dotted
                if module.startswith("."):
                    module = dotted.lstrip(".")
                if names is None:  # `from x import (\n    a,\n    b as c,\n)`
                    written_names = tuple(
                        item.split(None, 1)[0] for item in listed.split(",") if not item.isspace() and item
                    )
                elif " " not in names:
                    written_names = (names,)
                elif " as " not in names:
                    written_names = tuple(names.split(", "))
                else:
                    written_names = tuple(name.strip(" ").partition(" ")[0] for name in names.split(","))
                append((module, len(dotted) - len(module), start, stop, written_names, context))
            position = self.end = match.end()
            match = line(text, position)
        return position

    def result(self) -> ScanResult:
        text = self.text
        found = self.found
        errors = "; ".join(self.errors[:5]) or None
        if not found:
            return ScanResult.packed((), (), array("i"), errors, ())
        intern = sys.intern
        modules: list[str] = []
        names_of: list[tuple[str, ...]] = []
        numbers: list[int] = []
        add_module = modules.append
        add_names = names_of.append
        add_numbers = numbers.extend
        shared = shared_names_get
        count = text.count
        rfind = text.rfind
        line = 0
        line_position = 0
        line_start = 0  # where the line holding `line_position` starts
        gates: dict[str, int] = {}
        flags_of: dict[int, int] = {}  # a context's flags, by its identity (every statement keeps it alive)
        last_context: Context | None = None
        flags = 0
        for module, level, start, stop, names, context in found:
            if start < line_position:  # only the careful lexer's error recovery goes back
                line = line_position = line_start = 0
            between = count("\n", line_position, start)
            if between:
                line += between
                line_start = rfind("\n", line_position, start) + 1
            line_position = start
            column = start - line_start
            if text.find("\n", start, stop) >= 0:
                end_line = line + count("\n", start, stop)
                end_column = stop - rfind("\n", 0, stop) - 1
            else:
                end_line = line
                end_column = column + stop - start
            if context is not last_context:
                last_context = context
                known = flags_of.get(id(context))
                if known is None:
                    tries, type_checking, in_function, fallback, gate = context
                    known = FLAG_TYPE_CHECKING if type_checking else 0
                    if in_function:
                        known |= FLAG_IN_FUNCTION
                    if tries and any(record.catches for record in tries):
                        known |= FLAG_OPTIONAL
                    if fallback:
                        known |= FLAG_FALLBACK
                    if gate:
                        known |= gates.setdefault(gate, len(gates) + 1) << GATE_SHIFT
                    flags_of[id(context)] = known
                flags = known
            if names:
                add_numbers((level, line, column, end_line, end_column,
                             flags | FLAG_FUTURE if level == 0 and module == "__future__" else flags))
                add_names(shared(names) or share_names(names))
            else:
                add_numbers((level, line, column, end_line, end_column, flags))
                add_names(())
            add_module(intern(module))
        packed = array("H", numbers) if max(numbers) <= 0xFFFF else array("i", numbers)
        return ScanResult.packed(tuple(modules), tuple(names_of), packed, errors, tuple(gates))


def _optionally_bound(text: str, found: list[tuple[str, int, int, int, tuple[str, ...], Context]]) -> set[str]:
    """The names bound so far by imports inside a try whose handler catches ImportError (``import a.b`` binds
    ``a``, ``from m import x`` binds ``x``, and the ``as`` names on the statement's first line, ``import numpy as
    np``): what an ``if`` may test."""
    bound: set[str] = set()
    for module, _, _, stop, names, context in found:
        if any(record.catches for record in context[0]):
            if names:
                bound.update(name for name in names if name != "*")
            else:
                bound.add(module.partition(".")[0])
            line_end = text.find("\n", stop)
            rest = text[stop:line_end if line_end >= 0 else len(text)].partition("#")[0]
            if " as " in rest:
                bound.update(_AS_NAME().findall(rest))
    return bound


def _try_else(collector: ImportCollector, indent: int, previous: str | None = None) -> _Try | None:
    """The try whose ``else:`` a line at ``indent`` starting with ``else`` is, when its handlers catch ImportError
    (its last clause at that indent was an ``except``; ``previous``: that clause's keyword, when known)."""
    if (previous if previous is not None else collector.last_at.get(indent)) != "except":
        return None
    record = collector.try_at_indent.get(indent)
    return record if record is not None and record.catches else None


def _parse_statement(text: str, keyword: str, position: int) -> ParsedStatement:
    """The modules of the import statement whose keyword starts at ``position``, and where it ends."""
    plain = _PLAIN_STATEMENT.match(text, position)
    if plain is not None:
        return _plain_statement(text, plain)
    return parse_general(text, keyword, position)


def parse_general(text: str, keyword: str, position: int) -> ParsedStatement:
    """``_parse_statement`` for any statement, plain or not: one name at a time, whitespace, line continuations,
    comments in brackets and errors included."""
    if keyword == "import":
        items: list[tuple[str, int, int, int, tuple[str, ...]]] = []
        end = position + 6
        while True:
            item = _IMPORT_ITEM.match(text, end)
            if item is None:
                return end, tuple(items), (error_at(text, end, "incomplete import statement"),)
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
        errors.append(error_at(text, start, "import statement without a module"))
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
            errors.append(error_at(text, end, "unclosed parenthesis in import statement"))
        else:
            end = closing.end()
    else:
        while (item := _FROM_NAME.match(text, end)) is not None:
            names.append(_identifier(item.group("name")))
            end = item.end()
            if item.group("comma") is None:
                break
    if not names:
        errors.append(error_at(text, end, "import statement without names"))
    return end, ((_module_name(dotted), level, start, stop, tuple(names)),), tuple(errors)


def _plain_statement(text: str, match: re.Match[str]) -> ParsedStatement:
    """What ``_parse_statement`` gives for a statement ``_PLAIN_STATEMENT`` matched (a plain one)."""
    modules = match.group("modules")
    if modules is not None:
        start = match.start("modules")
        if "," not in modules and " " not in modules:  # `import a.b`
            return match.end("gap"), ((modules, 0, start, start + len(modules), ()),), ()
        items = []
        for written in modules.split(","):
            name = written.strip(" ").partition(" ")[0]
            offset = start + len(written) - len(written.lstrip(" "))
            items.append((name, 0, offset, offset + len(name), ()))
            start += len(written) + 1
        return match.end("gap"), tuple(items), ()
    start, stop = match.span("module")
    dotted = text[start:stop]
    module = dotted.lstrip(".")
    names = match.group("names")
    if names is None:  # `from x import (a, b as c)`: ends at the closing parenthesis
        end = match.end("listed") + 1
        written_names = tuple(
            item.split(None, 1)[0] for item in match.group("listed").split(",") if item and not item.isspace()
        )
    elif names == "*":
        end = match.end("names")
        written_names = ("*",)
    else:
        end = match.end("gap")
        written_names = tuple(name.strip(" ").partition(" ")[0] for name in names.split(","))
    return end, ((module, len(dotted) - len(module), start, stop, written_names),), ()


def error_at(text: str, position: int, reason: str) -> str:
    return f"{reason} (line {text.count(chr(10), 0, position) + 1})"


def _identifier(name: str) -> str:
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


def _module_name(written: str) -> str:
    if not written.isascii() or "\\" in written or " " in written or "\t" in written or "\f" in written:
        return _identifier(_SPACE_IN_NAME.sub("", written))
    return written


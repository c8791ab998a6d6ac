"""Finds the import statements of Python source (text or bytes), with exact ranges and their context,
without parsing.

``ast.parse`` is far too slow for a tree of thousands of modules (figures: ``benchmarks/README.md``). This scanner
lexes with one compiled regular expression that consumes ordinary code, strings and comments in C and stops
only where something may matter: a line starting with ``import``/``from``, ``;``/``:`` followed by one, and
(only when some import is nested) lines starting with a compound-statement keyword that are indented little
enough to enclose it. Python code runs only at those stops, and nothing after the last possible import
statement is lexed. Files the fast path cannot lex with certainty (syntax errors, PEP 701 f-strings that
reuse their quote, a keyword line inside brackets that would change the context) are scanned again by the
careful lexer (``lexer``), which follows CPython's rules, recovers from errors and reports them.

Nested imports need the enclosing lines' stops. A first pass (import lines only) finds what each import
needs, a second stops where they need it. Most files need no second pass, which a count of the words
``import`` shows (``_may_nest``); for the others the stops are first planned from the words ``import``
(``_possible_needs``, a guess) and one scan made: it stands only when the imports it found needed exactly
the stops it made (``_steps``), else the two passes decide, so the result never depends on the guess.
Runs of plain top-level imports (``import a.b``, ``from x import (y, z)``) are taken a line at a time
(``ImportCollector.simple_imports``). ``benchmarks/bench_scan.py --check`` compares every file of real trees
with another copy of the scanner.

The compiled fast patterns are kept in ``_compiled`` for the process: keyed by the rounded reach (or the
depth-zero key), never stale (they depend on nothing but the code).
"""

from __future__ import annotations

import itertools
import re
import sys
import threading

from venvsense.imports.lexer import scan_careful
from venvsense.imports.plan import NO_REACH_LIMIT as _NO_REACH_LIMIT
from venvsense.imports.plan import may_nest as _may_nest
from venvsense.imports.plan import plan as _plan
from venvsense.imports.plan import possible_needs as _possible_needs
from venvsense.imports.plan import rounded as _rounded
from venvsense.imports.plan import steps as _steps
from venvsense.imports.records import NO_IMPORTS, ScanResult, with_error
from venvsense.imports.statements import (
    GAP,
    IMPORT_WORD,
    KEYWORDS,
    ImportCollector,
    ParsedStatement,
    indent_width,
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


# keywords that may start a line inside brackets too (`[x\n for x in y]`, `(a if b\n else c)`, `f(\n match=1)`)
_AMBIGUOUS_KEYWORDS = frozenset({"if", "else", "for", "async", "match", "case"})
_MAX_BRACKET_DEPTH = 16


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
# pattern stops only at those indented by at most `reach` characters, `reach` rounded up to one of
# `plan.REACHES`.
# (Characters order indents the way CPython's columns do: it rejects indentation where tabs make the two
# disagree. Form feeds reset the column, so a file with one gets no limit.)


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
_BRACKETED_KEY = -3


def _compiled_pattern(key: int) -> re.Pattern[str]:
    pattern = _compiled.get(key)
    if pattern is None:
        with _compile_lock:
            pattern = _compiled.get(key)
            if pattern is None:
                if key == _DEPTH_ZERO_KEY:
                    pattern = _depth_zero_pattern()
                elif key == _BRACKETED_KEY:
                    pattern = re.compile(_bracketed(_MAX_BRACKET_DEPTH), re.DOTALL)
                else:
                    pattern = _fast_pattern(key)
                _compiled[key] = pattern
    return pattern


def _fast(reach: int) -> tuple[re.Pattern[str], int]:
    """The fast pattern for ``reach`` rounded up, and the rounded ``reach``."""
    reach = _rounded(reach)
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


_LINE_KEYWORD = re.compile(rf"[ \t\f]*({KEYWORDS})\b")
_AFTER_SEPARATOR = re.compile(rf"{GAP}({IMPORT_WORD[:-2]})\b")

class _FastPathGaveUp(Exception):
    """The fast lexer stopped somewhere it cannot explain: lex the file token by token instead."""


class _ReachTooShort(Exception):
    """Some import is indented deeper than the lines the fast lexer stopped at: scan again, knowing where
    the imports are and what each needs (``needs``: position and indent in characters)."""

    def __init__(self, needs: list[tuple[int, int]], scanner: ImportCollector) -> None:
        super().__init__()
        self.needs = needs
        self.scanner = scanner


def _scan_fast(
    text: str, last: int, positions: list[int], reaches: list[int], parsed: dict[int, ParsedStatement],
    planned: list[tuple[int, int]] | None = None, tail: int | None = None,
) -> ImportCollector:
    """Scans with the fast pattern, stopping at the lines indented no deeper than ``reaches[i]`` characters
    until ``positions[i]``; raises ``_ReachTooShort`` with what each import needed if that was not enough.

    ``planned``: the reaches were planned from these needs, read from the words ``import``
    (``_possible_needs``), not from a first pass. The scan gives up (``_FastPathGaveUp``: the two passes
    decide) unless the imports it finds needed the same stops (``_steps``): then it stopped where the
    second pass does (which ends at ``last``, the last nested import), and from there to ``tail`` (the last
    import) it stops where the first pass does. Where the two passes would check the depth and this scan
    cannot, it gives up as well."""
    scanner = ImportCollector(text, parsed)
    untabbed = "\t" not in text and "\f" not in text  # then an indent's width is its length
    pattern, reach = _fast(reaches[0])
    next_import = 0  # index in `positions` of the first import not yet passed
    final_import = len(positions) - 1
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
    import_line = -1  # where the last import line visited starts
    first = _LINE_KEYWORD.match(text)
    if first is not None:
        keyword = first.group(1)
        line_characters = first.start(1)
        if keyword == "import" or keyword == "from":
            import_line = 0
            if line_characters > 0:
                needs.append((first.start(1), line_characters - 1))
                short = line_characters - 1 > reach
        else:
            header_line = 0
        taken = scanner.simple_imports(0) if line_characters == 0 and (keyword == "import" or keyword == "from") else 0
        if taken:  # a run of plain imports opens the file
            position = certain = taken - 1
        else:
            position = scanner.keyword_line(keyword, first.start(1), indent_width(text[:line_characters]))
    errors_before_tail = -1
    while True:  # (again for the tail of a planned scan)
        while True:
            if position > last:
                if not scanner.undecided:
                    break
                # the handlers of a try around the last imports come after them
                last = end = length
            if next_import < final_import and position > positions[next_import]:
                # past an import: lines deeper than those after it need no stop any more
                while next_import < final_import and positions[next_import] < position:
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
                indent = at - stop - 1 if untabbed else indent_width(text[stop + 1 : at])
                if keyword not in _AMBIGUOUS_KEYWORDS:
                    certain = at  # no other keyword can start a line inside brackets
                elif scanner.would_change(keyword, at, indent):
                    depth = _depth_at(text, certain, at)
                    if depth is None:
                        raise _FastPathGaveUp  # past a construct too deep (or broken) to check
                    if depth:  # inside brackets (`[x\n for x in y]`): an expression's words, not a statement
                        position = at
                        continue
                    certain = at
                # (an ambiguous keyword line that changes nothing may be inside brackets: not a known depth 0)
                line_visited = stop + 1
                if keyword == "import" or keyword == "from":
                    import_line = line_visited
                    line_characters = at - stop - 1
                    if line_characters > 0:
                        needs.append((at, line_characters - 1))
                        if line_characters - 1 > reach:
                            short = True
                else:
                    header_line = stop + 1
                if at == stop + 1 and not scanner.blocks and not scanner.undecided and (
                        keyword == "import" or keyword == "from"):
                    # a top-level import starting a line: likely a run of plain ones, taken in one go (what
                    # `keyword_line` would do first at indent 0 here is forgetting the if/elif chains)
                    taken = scanner.simple_imports(at)
                    if taken > at:
                        scanner.chains.clear()
                        position = certain = taken - 1
                        if last == length and not scanner.undecided:
                            break
                        continue
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
                    if planned is not None and line_start != import_line:
                        raise _FastPathGaveUp  # a first pass checks this line from where it knows the depth
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
                        scanner.close_blocks(indent_width(indent_text))
                    position = certain = scanner.statement(found.group(1), found.start(1))
                    continue
            if end < length:
                # a token crossing the cut-off point: lex it again without the cut-off
                end = length
                position = stop
                continue
            raise _FastPathGaveUp
        if tail is None:
            break
        # past the last nested import (and the handlers of its tries) the second pass ends: what the first
        # pass saw there, the import lines only, is taken
        pattern, reach = _fast(-1)
        last = tail
        end = last + 6
        tail = None
        next_import = final_import
        errors_before_tail = len(scanner.errors)
    if short:
        raise _ReachTooShort(needs, scanner)
    if planned is not None and _steps(planned) != _steps(needs):
        raise _FastPathGaveUp
    if errors_before_tail >= 0:  # the first pass's errors are added to the second's, once
        errors = scanner.errors
        head = errors[:errors_before_tail]
        errors[errors_before_tail:] = [error for error in errors[errors_before_tail:] if error not in head]
    return scanner


def _at_depth_zero(text: str, start: int, position: int) -> bool:
    """Whether ``position`` is outside brackets, given that ``start`` is."""
    match = _compiled_pattern(_DEPTH_ZERO_KEY).match(text, start, position)
    return match is not None and match.end() == position


def _depth_at(text: str, start: int, position: int) -> bool | None:
    """Whether ``position`` is inside brackets (``False``: outside), given that ``start`` is outside;
    ``None`` when that cannot be told (brackets nested too deep, an unclosed bracket or string)."""
    match = _compiled_pattern(_DEPTH_ZERO_KEY).match(text, start, position)
    stopped = match.end() if match is not None else start
    if stopped == position:
        return False
    if text[stopped] not in "([{":
        return None
    # the bracket opened where the depth-0 code stops: `position` is inside it when it closes after it
    closed = _compiled_pattern(_BRACKETED_KEY).match(text, stopped)
    return True if closed is not None and closed.end() > position else None


def _only_indent_before(text: str, position: int) -> bool:
    line_start = text.rfind("\n", 0, position) + 1
    return not text[line_start:position].strip(" \t\f")


def scan_source(text: str) -> ScanResult:
    """The import statements of Python source ``text`` (never raises)."""
    if "import" not in text:
        return NO_IMPORTS
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        last = _last_import(text)
        if last < 0:
            return NO_IMPORTS
        # First only the import statements (enough when none is nested), then, if some are, again with
        # the lines that may enclose them; a form feed resets indentation: then every line.
        unlimited = [_NO_REACH_LIMIT]
        parsed: dict[int, ParsedStatement] = {}
        if "\f" in text:
            return _scan_fast(text, last, [last], unlimited, parsed).result()
        # When some import may be nested (the words `import` say so, strings included: a superset of what
        # the imports need), scan once, stopping at the lines that may enclose them; when that was not
        # enough or the fast path gave up, the two passes below decide.
        # (A file starting with `try` is left to the two passes: their first pass sees that `try` and no line
        # closing it, so it may lex on to the end for its handlers.)
        possible = None
        if _may_nest(text, last) and not text.lstrip(" \t\f").startswith("try"):
            possible = _possible_needs(text, 0, last)
        if possible:
            try:
                nested = possible[-1][0]
                planned = _scan_fast(text, nested, *_plan(possible, nested), parsed, planned=possible, tail=last)
                return planned.result()
            except (_ReachTooShort, _FastPathGaveUp):
                pass
        try:
            return _scan_fast(text, last, [last], [-1], parsed).result()
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
        return scan_careful(text)
    except RecursionError:
        return ScanResult((), "the file is nested too deeply to scan")


# ---------------------------------------------------------------------------------------------------------
# Bytes: the encoding Python would read them with.

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
        return NO_IMPORTS
    if b"\x00" in data:
        return ScanResult((), "binary file (contains NUL bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8"
        data = data[3:]
    elif data.isascii() and data.find(b"coding", 0, 400) < 0:
        return scan_source(data.decode("ascii"))
    else:
        encoding = _source_encoding(data)
    try:
        text = data.decode(encoding)
    except LookupError:
        return with_error(scan_source(data.decode("utf-8", "replace")), f"unknown encoding {encoding!r}")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return with_error(scan_source(data.decode(encoding, "replace")), f"not valid {encoding} (line {line})")
    return scan_source(text)


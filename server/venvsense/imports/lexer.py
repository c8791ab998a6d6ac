"""The careful lexer: token by token, CPython's rules (PEP 701 f-strings included), with error recovery.

The scanner falls back to it for the files its fast path cannot lex with certainty; it reports the syntax
errors it recovers from in ``ScanResult.error``.
"""

from __future__ import annotations

import re

from venvsense.imports.records import ScanResult
from venvsense.imports.statements import GAP, KEYWORDS, ImportCollector, error_at, indent_width

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
    rf"|assert|break|continue)\b|from{GAP}[.\w]+{GAP}import\b)"
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


def scan_careful(text: str) -> ScanResult:
    scanner = ImportCollector(text, {})
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
                scanner.errors.append(error_at(text, end, "unclosed bracket before this line"))
                depth = 0
                line_start = True
            continue
        if line_start and depth == 0:
            line_start = False
            header_on_line = False
            previous = ""
            line_indent = indent_width(text[physical_line_start:start])
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
                    scanner.errors.append(error_at(text, quote_at, "unterminated triple-quoted string"))
                    break
                scanner.errors.append(error_at(text, quote_at, "unterminated string"))
                newline = text.find("\n", quote_at)
                position = length if newline == -1 else newline
            previous = "string"
            continue
        position = end
        if kind == "open":
            depth += 1
        elif kind == "close":
            if depth == 0:
                scanner.errors.append(error_at(text, start, f"unmatched {token.group()!r}"))
            else:
                depth -= 1
        elif depth == 0 and kind == "name" and token.group() in ("import", "from") and previous in (":", ";"):
            if not (previous == ":" and header_on_line):
                scanner.close_blocks(line_indent)
            position = scanner.statement(token.group(), start)
        if depth == 0:
            previous = token.group() if kind == "separator" else kind or ""
    return scanner.result()


_KEYWORD_SET = frozenset(KEYWORDS.split("|"))

"""The scanner's plans: where its fast pattern must stop at the lines that may enclose nested imports.

The first pass finds what each import needs (its position and indent, in characters); ``plan`` turns that into
the reach of the pattern before each position; ``steps`` into where the pattern changes. ``may_nest`` and
``possible_needs`` guess the same from the words ``import`` alone, strings included, so that most files are
scanned once (``scanner.scan_source``); a guess is only ever checked against what the scan found.

Reaches are rounded up to one of ``REACHES`` (a compiled pattern each); ``NO_REACH_LIMIT``: every line.
"""

from __future__ import annotations

import re

REACHES = (-1, 3, 7, 11, 15, 23)
NO_REACH_LIMIT = 1 << 30
_FROM_MODULE = re.compile(r"from[ \t\f]*(?:\.[ \t\f]*)*[\w.]*[ \t\f]+")
_FROM_AFTER_SEPARATOR = re.compile(r"[:;][ \t\f]*(from)\b[^:;]*$")


def rounded(reach: int) -> int:
    """``reach`` rounded up to one of ``REACHES`` (``NO_REACH_LIMIT`` past the last)."""
    for step in REACHES:
        if reach <= step:
            return step
    return NO_REACH_LIMIT


def plan(needs: list[tuple[int, int]], last: int) -> tuple[list[int], list[int]]:
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


def steps(needs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where the pattern planned from ``needs`` changes: (the last position of each reach, that reach
    rounded), from the end."""
    changes: list[tuple[int, int]] = []
    deepest = -1
    step = rounded(deepest)
    for position, reach in reversed(needs):
        if reach > deepest:
            deepest = reach
            step = rounded(deepest)
        if not changes or changes[-1][1] != step:
            changes.append((position, step))
    return changes


def may_nest(text: str, last: int) -> bool:
    """Whether some word ``import`` up to ``last`` is not the one of an import or ``from`` line at the left
    margin, counting: when each is, no import is nested (and when the count is wrong, the two passes find
    out)."""
    stop = last + 6
    margin = text.count("\nimport", 0, stop) + text.count("\nfrom", 0, stop)
    if text.startswith(("import", "from")):
        margin += 1
    return text.count("import", 0, stop) != margin


def possible_needs(text: str, start: int, last: int) -> list[tuple[int, int]]:
    """What the import statements from ``start`` to ``last`` likely need (position of the keyword, indent in
    characters), guessed from the words ``import`` alone (strings included, doctest lines left out): one
    starting its line or ending ``from <module>`` there needs the lines indented less than it, one after
    ``:``/``;`` or on a continued line those indented no deeper than its line. Only a guess: a scan planned
    from it stands only if the imports it finds needed the same (``steps``)."""
    needs: list[tuple[int, int]] = []
    find = text.find
    rfind = text.rfind
    stop = last + 6
    position = find("import", start, stop)
    while position >= 0:
        before = text[position - 1 : position]
        if before != "\n" and position:  # (`import` starting a line at the margin needs nothing)
            after = text[position + 6 : position + 7]
            if not (after.isalnum() or after == "_" or before.isalnum() or before == "_"):
                line_start = rfind("\n", 0, position) + 1
                line = text[line_start:position]
                code = line.lstrip(" \t\f")
                indent = len(line) - len(code)
                if code.startswith((">>>", "...")):
                    pass  # a doctest's line (only a guess, as all of these: `_steps` checks them)
                elif not code:
                    if indent:
                        needs.append((position, indent - 1))
                elif _FROM_MODULE.fullmatch(code):
                    if indent:
                        needs.append((line_start + indent, indent - 1))
                elif code.rstrip(" \t\f").endswith((":", ";")) or text[line_start - 2 : line_start] == "\\\n":
                    needs.append((position, indent))
                elif ":" in code or ";" in code:
                    after_separator = _FROM_AFTER_SEPARATOR.search(line)
                    if after_separator is not None:
                        needs.append((line_start + after_separator.start(1), indent))
        position = find("import", position + 6, stop)
    return needs

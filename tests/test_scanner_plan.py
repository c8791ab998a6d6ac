"""The scanner's shortcuts give exactly what its two passes give.

A file whose words ``import`` say some import may be nested is scanned once, with the stops at the lines that
may enclose them planned from those words (``scanner._possible_needs``), instead of a first pass that finds
the nested imports and a second that stops where they need it. Runs of plain imports (parenthesised
``from`` imports included) are taken in one go. Both must change nothing: the scans are compared with the two
passes run by hand (``two_passes``, what ``scan_source`` did before) on assembled code, valid or not, and with
the careful lexer (which parses every statement the general way) on valid code.
"""

from __future__ import annotations

import ast

from hypothesis import given, settings
from hypothesis import strategies as st

from venvsense.imports import scanner
from venvsense.imports.lexer import scan_careful
from venvsense.imports.records import NO_IMPORTS, ScanResult
from venvsense.imports.scanner import scan_source
from venvsense.imports.statements import ParsedStatement


def two_passes(text: str) -> ScanResult:
    """The scan as ``scan_source`` made it before the shortcuts (text without ``\\r`` or a BOM)."""
    if "import" not in text:
        return NO_IMPORTS
    last = scanner._last_import(text)
    if last < 0:
        return NO_IMPORTS
    parsed: dict[int, ParsedStatement] = {}
    unlimited = [scanner._NO_REACH_LIMIT]
    try:
        try:
            return scanner._scan_fast(text, last, [last], unlimited if "\f" in text else [-1], parsed).result()
        except scanner._ReachTooShort as short:
            needs = short.needs
            first = short.scanner
        nested = max(position for position, reach in needs if reach >= 0)
        try:
            second = scanner._scan_fast(text, nested, *scanner._plan(needs, nested), parsed)
        except scanner._ReachTooShort:
            return scanner._scan_fast(text, last, [last], unlimited, parsed).result()
        second.found.extend(found for found in first.found if found[2] >= second.end)
        second.errors.extend(error for error in first.errors if error not in second.errors)
        return second.result()
    except scanner._FastPathGaveUp:
        pass
    try:
        return scan_careful(text)
    except RecursionError:
        return ScanResult((), "the file is nested too deeply to scan")


FRAGMENTS = [
    "import a\n",
    "import a.b as c, d\n",
    "from .b import (c,\n  d)\n",
    "from .k import (\n    l as m,\n    n,\n)\n",
    "from p import (q)  # a comment\n",
    "from r import (\n    s,  # a comment\n)\n",
    "from . import (t,)\n",
    "from u import (\n)\n",
    "from v import (as)\n",
    "from w import x, y as z\n",
    "try:\n",
    "    import e\n",
    "        import deep\n",
    "except ImportError:\n",
    "except ValueError:\n",
    "finally:\n",
    "    pass\n",
    "if TYPE_CHECKING:\n",
    "if sys.version_info >= (3, 11):\n",
    "elif sys.platform == 'win32':\n",
    "def f():\n",
    "    def g():\n",
    '    """\n    from the docs import nothing\n        import not_this\n    """\n',
    "    x = '''\nimport no\n'''\n",
    "    y = [1,\n",
    "for z in w\n",
    "    for z in w:\n",
    "    ]\n",
    "class C: import g\n",
    "else:\n",
    "    else:\n",
    "x = 1; import h\n",
    "  # import no\n",
    "s = f'{x}'\n",
    "    if y: import i\n",
    "    if y: from . import k\n",
    "\tvalue = (\n",
    ")\n",
    "async def g():\n",
    "        from . import j\n",
    "from a \\\n    import b\n",
    "    from c \\\n        import d\n",
    "raise E \\\n    from e\n",
    "important = reimport\n",
    "fromage = 1; import cheese\n",
    "\f\n",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25))
def test_the_planned_scan_gives_what_the_two_passes_give(fragments: list[str]) -> None:
    text = "".join(fragments)
    assert scan_source(text) == two_passes(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25))
def test_runs_of_plain_imports_read_as_the_careful_lexer_reads_each_statement(fragments: list[str]) -> None:
    text = "".join(fragments)
    try:
        ast.parse(text)
    except SyntaxError:
        return  # on invalid code each may recover its own way
    assert scan_source(text) == scan_careful(text)


def test_parenthesised_from_imports_in_a_run_keep_names_ranges_and_ends() -> None:
    text = (
        "import os\n"
        "from .k import (\n    l as m,\n    n,\n)\n"
        "from p import (q)  # a comment\n"
        "from ..r import (\n    s,\n    t as u\n)\n"
        "import re\n"
    )
    scan = scan_source(text)
    assert scan == scan_careful(text) == two_passes(text)
    assert [(s.module, s.level, s.names, s.line, s.column, s.end_column) for s in scan.imports] == [
        ("os", 0, (), 0, 7, 9),
        ("k", 1, ("l", "n"), 1, 5, 7),
        ("p", 0, ("q",), 5, 5, 6),
        ("r", 2, ("s", "t"), 6, 5, 8),
        ("re", 0, (), 10, 7, 9),
    ]


def test_a_docstring_with_indented_import_words_plans_more_stops_and_changes_nothing() -> None:
    text = (
        "import os\n\n\nclass C:\n"
        '    """Use it so:\n\n            from c import d\n            import e\n    """\n\n'
        "    def f(self):\n        try:\n            import json\n        except ImportError:\n"
        "            json = None\n        if TYPE_CHECKING:\n            from typing import Any\n"
        "\n\nimport sys\n"
    )
    assert scanner._possible_needs(text, 0, scanner._last_import(text))
    scan = scan_source(text)
    assert scan == two_passes(text) == scan_careful(text)
    flags = [(s.module, s.optional, s.type_checking, s.in_function) for s in scan.imports]
    assert flags == [
        ("os", False, False, False),
        ("json", True, False, True),
        ("typing", False, True, True),
        ("sys", False, False, False),
    ]


def test_a_nested_import_the_count_misses_falls_back_to_the_two_passes() -> None:
    # `fromage` counts as a `from` line at the margin, so the words `import` seem all accounted for: the
    # first pass finds the import after `;` and the second pass follows
    text = "import os\nfromage = 1; import cheese\n"
    assert not scanner._may_nest(text, scanner._last_import(text))
    assert scan_source(text) == two_passes(text)
    assert [s.module for s in scan_source(text).imports] == ["os", "cheese"]


# Invalid code where a planned scan once differed from the two passes (found by the test above with more
# examples): the second pass ends after the last nested import, the first pass reads past a `finally` or an
# unclosed bracket as if the `try` of the first line were still open.
DIFFERED = [
    "try:\n        import deep\n    y = [1,\nfrom p import (q)  # a comment\nfrom .b import (c,\n  d)\n"
    "except ImportError:\nfrom .b import (c,\n  d)\n",
    "try:\nelif sys.platform == 'win32':\n  # import no\n    def g():\n        import deep\n\tvalue = (\nfinally:\n"
    "raise E \\\n    from e\nexcept ImportError:\n    pass\n",
    "finally:\nfrom p import (q)  # a comment\nelse:\n\tvalue = (\nfrom a \\\n    import b\n\tvalue = (\n    else:\n"
    "    ]\nexcept ValueError:\nif sys.version_info >= (3, 11):\ntry:\n    from c \\\n        import d\nfinally:\n"
    "for z in w\nfrom a \\\n    import b\nexcept ImportError:\n",
    "    y = [1,\n    if y: import i\n",
]


def test_invalid_code_that_once_differed_gives_what_the_two_passes_give() -> None:
    for text in DIFFERED:
        assert scan_source(text) == two_passes(text), text

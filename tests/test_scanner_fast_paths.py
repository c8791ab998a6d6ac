"""The scanner's shortcuts for plain statements and margin ``from`` lines give exactly what the general code gives.

* ``statements._parse_statement`` reads a plain statement (``import a.b as c, d``, ``from .x import (y, z)``,
  ``from x import *``, ASCII names, one space between words) with one pattern; everything else, and everything
  the pattern does not match, goes to ``statements.parse_general``, which reads a name at a time. Both must give
  the same modules, names, ranges, errors and end for every statement the pattern matches.
* A whole scan of files whose nested imports take the shortcut agrees with the careful lexer reading the same
  file, with the two passes, and with ``ast`` on valid code.
"""

from __future__ import annotations

import ast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_scanner_plan import two_passes
from venvsense.imports.lexer import scan_careful
from venvsense.imports.scanner import scan_source
from venvsense.imports.statements import _PLAIN_STATEMENT, _parse_statement, parse_general

# pieces of statements, plain ones and the near misses the pattern must leave to the general code
WORDS = ["a", "b.c", "_x1", "os.path", "import", "from", "as", "é", "ａ", "x\\\n.y", "__future__"]
GLUE = [" ", "  ", "\t", ", ", ",", " as ", " as", "as ", ".", "..", " . ", "(", ")", "*", " *", "\\\n", "\n",
        "\n    ", "  # c", "#c", "\f", ""]


@st.composite
def statements(draw: st.DrawFn) -> tuple[str, str, int]:
    keyword = draw(st.sampled_from(["import", "from"]))
    before = draw(st.sampled_from(["", "    ", "\t", "if x: ", "x = 1; ", "def f():\n        "]))
    body = "".join(draw(st.lists(st.sampled_from(WORDS + GLUE), max_size=10)))
    if keyword == "from" and draw(st.booleans()):
        body = draw(st.sampled_from([" a", " .a", " ..", " .", " a.b"])) + " import " + body
    else:
        body = " " + body
    after = draw(st.sampled_from(["\n", "", "  # done\n", "\t\n", " \\\n", "\nimport z\n", ")\n"]))
    text = before + keyword + body + after
    return text, keyword, len(before)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements())
def test_a_plain_statement_reads_as_the_general_code_reads_it(case: tuple[str, str, int]) -> None:
    text, keyword, position = case
    assert _parse_statement(text, keyword, position) == parse_general(text, keyword, position)


PLAIN = [
    "import a\n",
    "import a.b as c, d  # why\n",
    "from . import x\n",
    "from .. import (x, y as z,)\n",
    "from ...a.b import (\n    x,\n    y as z\n)\n",
    "from a import *\n",
    "from a import *  # all\n",
    "from a import x as y, z\t\n",
    "from __future__ import annotations\n",
]
NOT_PLAIN = [
    "import as\n",
    "import import\n",
    "from import import x\n",
    "from a import as\n",
    "from a import (as)\n",
    "import a \\\n    .b\n",
    "from a import x,\n",
    "from a import (x  # c\n)\n",
    "import é\n",
    "from a import x",  # no newline at the end of the text
    "import  a\n",
    "import a , b\n",
    "from a import ()\n",
]


def test_the_pattern_takes_the_plain_statements_and_leaves_the_others() -> None:
    for text in PLAIN:
        assert _PLAIN_STATEMENT.match(text) is not None, text
        keyword = text.split()[0]
        assert _parse_statement(text, keyword, 0) == parse_general(text, keyword, 0), text
    for text in NOT_PLAIN:
        assert _PLAIN_STATEMENT.match(text) is None, text


def test_ends_of_plain_statements_are_where_the_general_code_ends_them() -> None:
    # after the trailing blanks of a name, right after `*` and after `)`: where lexing goes on
    assert _parse_statement("from a import x  # c\n", "from", 0)[0] == len("from a import x  ")
    assert _parse_statement("from a import *  # c\n", "from", 0)[0] == len("from a import *")
    assert _parse_statement("from a import (x)  # c\n", "from", 0)[0] == len("from a import (x)")
    assert _parse_statement("import a.b \t\n", "import", 0)[0] == len("import a.b \t")


NESTED = [
    "import os\n",
    "def f():\n",
    "    import a.b as c, d\n",
    "    from . import (x,\n        y as z)\n",
    "    from .m import *  # all\n",
    "    from n import p as q, r\t\n",
    "    from __future__ import annotations\n",
    "    if TYPE_CHECKING: from s import t\n",
    "    x = 1; import u\n",
    "    try:\n",
    "        import v\n",
    "    except ImportError:\n",
    "        from w import (k)\n",
    "    '''\n    import not_this\n    '''\n",
    "    import as_\n",
    "    from a import (b,  # c\n        d)\n",
    "    import e \\\n        .f\n",
    "    y = f'{1}'\n",
    "    pass\n",
    "class C:\n",
    "\tfrom g import h\n",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(NESTED), max_size=20))
def test_nested_plain_imports_scan_as_the_careful_lexer_and_the_two_passes_scan_them(lines: list[str]) -> None:
    text = "".join(lines)
    scanned = scan_source(text)
    assert scanned == two_passes(text)
    try:
        ast.parse(text)
    except SyntaxError:
        return  # (on invalid code the careful lexer recovers its own way)
    assert scanned == scan_careful(text)

"""The import scanner (``venvsense.imports``): statements, ranges, context, lexical traps, files and trees."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import sysconfig
import textwrap
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.permissions import as_ordinary_user
from support.work import calls
from venvsense import imports
from venvsense.imports import (
    DiskScanCache,
    ImportStatement,
    iter_python_files,
    scan_bytes,
    scan_file,
    scan_files,
    scan_source,
    string_imports,
)
from venvsense.imports.guards import availability_guard, condition_text
from venvsense.imports.lexer import scan_careful


def scan(source: str) -> tuple[ImportStatement, ...]:
    result = scan_source(textwrap.dedent(source))
    assert result.error is None, result.error
    return result.imports


def modules(source: str) -> list[str]:
    return [statement.module for statement in scan(source)]


def only(source: str) -> ImportStatement:
    found = scan(source)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------------------------- statements


def test_import_statement_gives_one_entry_per_module() -> None:
    assert modules("import os, sys as system, a.b\n") == ["os", "sys", "a.b"]


def test_import_range_covers_the_dotted_name() -> None:
    statement = only("x = 1\nimport a.b\n")
    assert (statement.line, statement.column, statement.end_line, statement.end_column) == (1, 7, 1, 10)
    assert statement.names == () and statement.level == 0


def test_relative_import_range_covers_the_dots_and_the_name() -> None:
    statement = only("from ..x import y\n")
    assert (statement.module, statement.level, statement.names) == ("x", 2, ("y",))
    assert (statement.line, statement.column, statement.end_line, statement.end_column) == (0, 5, 0, 8)


def test_from_dot_import_has_an_empty_module() -> None:
    statement = only("from . import z\n")
    assert (statement.module, statement.level, statement.column, statement.end_column) == ("", 1, 5, 6)


def test_ellipsis_counts_as_three_levels() -> None:
    statement = only("from ...pkg.sub import x\n")
    assert (statement.module, statement.level) == ("pkg.sub", 3)


def test_parenthesised_multiline_import_lists_every_name() -> None:
    statement = scan(
        """\
        from package.module import (  # comment (with a parenthesis
            first,
            second as other,  # trailing comment
            third,
        )
        import after
        """
    )[0]
    assert statement.module == "package.module"
    assert statement.names == ("first", "second", "third")
    assert (statement.line, statement.column, statement.end_column) == (0, 5, 19)


@pytest.mark.parametrize("comment", ["# a comment t", "# see f(x)", "# (", "# as y", "#,z"])
def test_a_comment_in_a_parenthesised_import_gives_no_name(comment: str) -> None:
    # the comment is skipped whole: no name or closing parenthesis is taken from its words (a backtracking bug)
    source = f"from r import (\n    s,  {comment}\n    w,  {comment}\n)\nimport x\n"
    assert [(statement.module, statement.names) for statement in scan(source)] == [("r", ("s", "w")), ("x", ())]
    inside_a_function = "def f():\n    " + source.replace("\n", "\n    ")
    assert [(statement.module, statement.names) for statement in scan(inside_a_function)] == [
        ("r", ("s", "w")), ("x", ())]


def test_star_import_has_a_star_name() -> None:
    assert only("from os.path import *\n").names == ("*",)


def test_dotted_name_with_spaces_and_continuations_is_joined() -> None:
    statement = only("import a . b \\\n  . c\n")
    assert statement.module == "a.b.c"
    assert (statement.line, statement.column, statement.end_line, statement.end_column) == (0, 7, 1, 5)


def test_non_ascii_names_are_nfkc_normalized_like_python_does() -> None:
    assert only("import ﬁle\n").module == "file"


def test_future_import_is_flagged() -> None:
    found = scan("from __future__ import annotations\nimport __future__\n")
    assert [statement.future for statement in found] == [True, False]


# --------------------------------------------------------------------------------------------- context


@pytest.mark.parametrize(
    "handler",
    [
        "except ImportError:",
        "except ModuleNotFoundError as error:",
        "except:",
        "except Exception:",
        "except BaseException:",
        "except (ValueError, ImportError):",
        "except builtins.ImportError:",
        "except* ImportError:",
    ],
)
def test_import_in_try_body_is_optional_when_a_handler_catches_import_errors(handler: str) -> None:
    statement = only(f"try:\n    import fast\n{handler}\n    fast = None\n")
    assert statement.optional


def test_comments_inside_a_parenthesised_handler_tuple_are_ignored() -> None:
    # as in Django's django/core/management/color.py
    source = ("try:\n    import colorama\nexcept (\n    AttributeError,  # old versions.\n"
              "    ImportError,  # not installed.\n    # a comment line\n    OSError,\n):\n    pass\n")
    assert only(source).optional


def test_import_in_try_body_is_not_optional_when_no_handler_catches_import_errors() -> None:
    assert not only("try:\n    import fast\nexcept ValueError:\n    pass\nfinally:\n    pass\n").optional


def test_a_later_handler_makes_the_try_optional() -> None:
    source = "try:\n    import fast\nexcept ValueError:\n    pass\nexcept ImportError:\n    pass\n"
    assert only(source).optional


def test_imports_in_a_handler_are_not_optional() -> None:
    found = scan("try:\n    import json\nexcept ImportError:\n    import simplejson as json\n")
    assert [(s.module, s.optional) for s in found] == [("json", True), ("simplejson", False)]


def test_optional_is_nested_through_inner_blocks() -> None:
    source = """\
        try:
            if sys.platform == "win32":
                def load():
                    import winreg
        except ImportError:
            pass
        """
    statement = only(source)
    assert statement.optional and statement.in_function


def test_try_after_the_last_import_is_followed_to_its_handler() -> None:
    source = "try:\n    import a\n" + "    x = 1\n" * 50 + "except ImportError:\n    a = None\n"
    assert only(source).optional


@pytest.mark.parametrize("test", ["TYPE_CHECKING", "typing.TYPE_CHECKING", "t.TYPE_CHECKING", "(TYPE_CHECKING)"])
def test_import_under_type_checking_is_flagged(test: str) -> None:
    assert only(f"if {test}:\n    from a import B\n").type_checking


def test_else_of_type_checking_is_not_type_checking() -> None:
    found = scan("if TYPE_CHECKING:\n    import a\nelse:\n    import b\nimport c\n")
    assert [(s.module, s.type_checking) for s in found] == [("a", True), ("b", False), ("c", False)]


def test_elif_type_checking_body_is_type_checking() -> None:
    found = scan("if x:\n    import a\nelif TYPE_CHECKING:\n    import b\n")
    assert [s.type_checking for s in found] == [False, True]


def test_other_conditions_are_not_type_checking() -> None:
    assert not only("if TYPE_CHECKING_EXTRA:\n    import a\n").type_checking
    assert not only("if not TYPE_CHECKING:\n    import a\n").type_checking


@pytest.mark.parametrize("header", ["def f():", "async def f():", "class C:", "    def method(self):"])
def test_import_inside_a_function_or_class_is_in_function(header: str) -> None:
    indent = header[: len(header) - len(header.lstrip())]
    prefix = "class C:\n" if indent else ""
    statement = only(f"{prefix}{header}\n{indent}    import lazy\n")
    assert statement.in_function


def test_import_after_a_function_is_not_in_function() -> None:
    found = scan("def f():\n    import a\n\nimport b\n")
    assert [s.in_function for s in found] == [True, False]


def test_decorated_function_body_is_in_function() -> None:
    assert only("@decorator(\n    'x',\n)\ndef f():\n    import a\n").in_function


def test_import_in_for_while_with_bodies_keeps_outer_context() -> None:
    source = """\
        if TYPE_CHECKING:
            for x in y:
                while z:
                    with w:
                        import deep
        """
    statement = only(source)
    assert statement.type_checking and not statement.in_function


def test_dedent_via_other_statement_closes_the_block() -> None:
    source = """\
        def f():
            if TYPE_CHECKING:
                pass
            for item in items:
                import inner
        """
    statement = only(source)
    assert statement.in_function and not statement.type_checking


# --------------------------------------------------------------------------------------------- lexical traps


@pytest.mark.parametrize(
    "literal",
    [
        "'import a'",
        '"import a"',
        "'''\nimport a\n'''",
        '"""\nimport a\n"""',
        "r'\\'import a'",
        "b'import a'",
        "Rb'import a'",
        "BR'''\nimport a'''",
        "u'import a'",
        "f'{x} import a'",
        "F'''{x}\nimport a'''",
        "rf'{x}\\'\\\nimport a'",
        "'\\\nimport a'",
    ],
)
def test_import_inside_a_string_is_not_an_import(literal: str) -> None:
    assert modules(f"x = {literal}\nimport real\n") == ["real"]


def test_pep_701_f_string_reusing_its_quote_is_one_string() -> None:
    source = 'x = f"{"\\nimport hidden"}"\nimport real\n'
    assert modules(source) == ["real"]
    assert modules('x = f"{d["key"]} {f"{"nested"}"}"\nimport real\n') == ["real"]


def test_pep_701_multiline_field_with_comment() -> None:
    source = 'x = f"""{\n    value  # a comment with "quotes\n}"""\nimport real\n'
    assert modules(source) == ["real"]


def test_import_in_a_comment_is_not_an_import() -> None:
    assert modules("# import a\nx = 1  # import b\nimport c\n") == ["c"]


def test_backslash_continuation_joins_lines() -> None:
    assert modules("x = 1 + \\\n    2; import a\nfrom b \\\n    import c\n") == ["a", "b"]


def test_semicolon_separated_imports() -> None:
    assert modules("import a; import b; from c import d\n") == ["a", "b", "c"]


def test_one_line_compound_statements() -> None:
    found = scan("if TYPE_CHECKING: import a\ntry: import b\nexcept ImportError: b = None\ndef f(): import c\n")
    assert [(s.module, s.type_checking, s.optional, s.in_function) for s in found] == [
        ("a", True, False, False),
        ("b", False, True, False),
        ("c", False, False, True),
    ]


def test_else_and_elif_bodies_are_scanned() -> None:
    assert modules("if a:\n    import x\nelif b:\n    import y\nelse: import z\n") == ["x", "y", "z"]


def test_import_used_as_part_of_other_names_is_not_an_import() -> None:
    source = "importlib.import_module('x')\nx.import_ = 1\nf(import_name=2)\nreimport()\nimport real\n"
    assert modules(source) == ["real"]


def test_match_case_and_lambda_are_ordinary_code() -> None:
    source = """\
        match command:
            case "import":
                import handler
            case _:
                f = lambda: 1
        match = re.match("x", y)
        case = 1
        import after
        """
    found = scan(source)
    assert [s.module for s in found] == ["handler", "after"]


def test_keyword_lines_inside_brackets_are_not_statements() -> None:
    source = """\
        def f():
            values = [item
        for item in items
        if item]
            import inside
        """
    statement = only(source)
    assert statement.in_function


def test_raise_from_and_yield_from_are_not_imports() -> None:
    assert modules("raise X from e\ndef g():\n    yield from h()\nimport a\n") == ["a"]


def test_tabs_and_form_feeds_in_indentation() -> None:
    source = "def f():\n\tif TYPE_CHECKING:\n\t\timport a\n\f\nclass C:\n\f    import b\n"
    found = scan_source(source).imports
    assert [(s.module, s.type_checking, s.in_function) for s in found] == [("a", True, True), ("b", False, True)]


def test_form_feed_at_line_start_is_whitespace() -> None:
    assert modules("\fimport a\n") == ["a"]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_lone_cr_newlines(newline: str) -> None:
    source = newline.join(["import a", "try:", "    import b", "except ImportError:", "    pass", "import c", ""])
    found = scan_source(source).imports
    assert [(s.module, s.line, s.optional) for s in found] == [("a", 0, False), ("b", 2, True), ("c", 5, False)]


def test_python_2_file_does_not_crash_and_keeps_clear_imports() -> None:
    source = 'import os\nprint >>f, "import x"\nprint "hello"\nexec "import y"\nimport sys\n'
    assert [s.module for s in scan_source(source).imports] == ["os", "sys"]


def test_unclosed_bracket_does_not_hide_later_imports() -> None:
    result = scan_source("import a\nx = foo(\n    1,\nimport b\ndef f():\n    import c\n")
    assert [(s.module, s.in_function) for s in result.imports] == [("a", False), ("b", False), ("c", True)]


def test_careful_lexer_reports_an_unclosed_bracket() -> None:
    result = scan_careful("import a\nx = foo(\n    1,\nimport b\n")
    assert [s.module for s in result.imports] == ["a", "b"]
    assert result.error is not None and "line 4" in result.error


def test_unterminated_string_is_reported_and_later_imports_still_found() -> None:
    result = scan_source("import a\nx = 'oops\nimport b\n")
    assert [s.module for s in result.imports] == ["a", "b"]
    assert result.error is not None and "unterminated string" in result.error


def test_unterminated_triple_quoted_string_ends_the_scan() -> None:
    result = scan_source('import a\nx = """never closed\nimport b\n')
    assert [s.module for s in result.imports] == ["a"]
    assert result.error is not None and "triple-quoted" in result.error


def test_incomplete_import_is_reported() -> None:
    result = scan_source("import a\nfrom b import\nimport c\n")
    assert [s.module for s in result.imports] == ["a", "b", "c"]
    assert result.error is not None


def test_large_generated_module_scans_in_linear_time() -> None:
    def module(lines: int) -> str:
        chunk = "def f{0}(x):\n    import m{0}\n    return {{'a': [x, (1, 2)], \"s\": f'{{x}}'}}  # c\n"
        return "".join(chunk.format(index) for index in range(lines // 3))

    work = []
    for lines in (25_000, 50_000):
        text = module(lines)
        result, made = calls(lambda text=text: scan_source(text))
        work.append(made)
        assert len(result.imports) == lines // 3
        assert all(statement.in_function for statement in result.imports)
        assert made < 3 * len(text)  # a few calls per byte at most, counted, not timed
    assert work[1] < work[0] * 2.2  # twice the module, about twice the work


@pytest.mark.parametrize(
    "text",
    [
        "(" * 20_000 + "\nimport a\n",
        "x = [" + "[" * 5_000 + "\n" * 5_000 + "import a\n",
        '"' * 30_001 + "\nimport a\n",
        "f'{" * 5_000 + "\nimport a\n",
        "import a\n" + "if x:\n    y = (\n" * 10_000,
        "\\\n" * 20_000 + "import a\n",
        "import " + ", ".join(f"m{index}" for index in range(20_000)) + "\n",
    ],
)
def test_pathological_input_is_bounded(text: str) -> None:
    _, made = calls(lambda: scan_source(text))
    assert made < 3 * len(text)  # linear in the input: counted (tests/support/work.py), not timed


# --------------------------------------------------------------------------------------------- properties


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(alphabet=st.sampled_from(list("import from try:except(ImportError)if TYPE_CHECKING\n\t\\'\"#f{}[];.,x ")))
)
def test_arbitrary_code_like_text_never_raises_and_ranges_are_inside(text: str) -> None:
    result = scan_source(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for statement in result.imports:
        assert 0 <= statement.line <= statement.end_line < len(lines)
        assert 0 <= statement.column <= len(lines[statement.line])
        assert 0 <= statement.end_column <= len(lines[statement.end_line])


@settings(max_examples=200)
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    scan_source(text)


@settings(max_examples=200)
@given(st.binary())
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    scan_bytes(data)
    scan_bytes(b"import os\n" + data)


FRAGMENTS = [
    "import a\n",
    "from .b import (c,\n  d)\n",
    "try:\n",
    "    import e\n",
    "except ImportError:\n",
    "    pass\n",
    "if TYPE_CHECKING:\n",
    "def f():\n",
    "    x = '''\nimport no\n'''\n",
    "    y = [1,\n",
    "for z in w\n",
    "    ]\n",
    "class C: import g\n",
    "else:\n",
    "x = 1; import h\n",
    "  # import no\n",
    "s = f'{x}'\n",
    "    if y: import i\n",
    "\tvalue = (\n",
    ")\n",
    "async def g():\n",
    "        from . import j\n",
]


@settings(max_examples=400)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25))
def test_fast_and_careful_lexers_agree_on_assembled_code(fragments: list[str]) -> None:
    text = "".join(fragments)
    try:
        ast.parse(text)
    except SyntaxError:
        return  # on invalid code each may recover its own way
    assert scan_source(text).imports == scan_careful(text).imports


# --------------------------------------------------------------------------------------------- the standard library


CATCHES = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def _handler_catches(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    items = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        (isinstance(item, ast.Name) and item.id in CATCHES)
        or (isinstance(item, ast.Attribute) and item.attr in CATCHES)
        for item in items
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING" and isinstance(test.value, ast.Name)
    )


Entry = tuple[int, str, int, bool, bool, bool, bool]


def reference_imports(tree: ast.AST, text: str | None = None) -> set[Entry]:
    """What ``ast`` says: (line, module, level, optional, type_checking, in_function, future).

    With the source ``text``, an ``if``/``elif`` whose condition (read as ``imports.guards`` reads it) tests
    that a module is there makes its body optional, as does the ``else:`` of a try whose handler catches
    ImportError (its body's imports worked)."""
    found: set[Entry] = set()
    tries: tuple[type[ast.AST], ...] = (ast.Try, getattr(ast, "TryStar", ast.Try))
    starts = [0]
    if text is not None:
        starts += [index + 1 for index, char in enumerate(text) if char == "\n"]
    bound: set[str] = set()  # names bound by optional imports so far

    def guard(node: ast.If) -> bool:
        if text is None or _is_type_checking(node.test):
            return False
        position = starts[node.lineno - 1] + node.col_offset
        keyword = "elif" if text.startswith("elif", position) else "if"
        condition = condition_text(text, position, keyword)
        if condition is None:
            return False
        segment = text[position + len(keyword):text.find(":", position)]
        bare = segment.strip(" \t\f").isidentifier()
        return availability_guard(condition, bound if bare or " None" in segment else frozenset())

    def visit(node: ast.AST, optional: bool, type_checking: bool, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add((alias.lineno, alias.name, 0, optional, type_checking, in_function, False))
                if optional:
                    bound.add(alias.name.partition(".")[0])
                    if alias.asname and alias.lineno == node.lineno:  # (the scanner reads a first line's `as`)
                        bound.add(alias.asname)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            future = node.level == 0 and module == "__future__"
            found.add((node.lineno, module, node.level, optional, type_checking, in_function, future))
            if optional:
                bound.update(alias.name for alias in node.names if alias.name != "*")
                bound.update(alias.asname for alias in node.names if alias.asname and alias.lineno == node.lineno)
        elif isinstance(node, tries):
            body_optional = optional or any(_handler_catches(handler) for handler in node.handlers)  # type: ignore[attr-defined]
            for child in node.body:  # type: ignore[attr-defined]
                visit(child, body_optional, type_checking, in_function)
            for part in (node.handlers, node.finalbody):  # type: ignore[attr-defined]
                for child in part:
                    visit(child, optional, type_checking, in_function)
            for child in node.orelse:  # type: ignore[attr-defined]
                visit(child, body_optional if text is not None else optional, type_checking, in_function)
        elif isinstance(node, ast.If):
            guarded = guard(node)
            for child in node.body:
                visit(child, optional or guarded, type_checking or _is_type_checking(node.test), in_function)
            for child in node.orelse:
                visit(child, optional, type_checking, in_function)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for child in node.body:
                visit(child, optional, type_checking, True)
        else:
            for child in ast.iter_child_nodes(node):
                visit(child, optional, type_checking, in_function)

    visit(tree, False, False, False)
    return found


def scanned(statements: tuple[ImportStatement, ...]) -> set[Entry]:
    return {(s.line + 1, s.module, s.level, s.optional, s.type_checking, s.in_function, s.future) for s in statements}


def _fast_path_lexes(text: str) -> bool:
    """Whether the fast lexer lexes ``text`` itself (the careful one is ~20 times slower on a large file)."""
    from venvsense.imports import scanner

    last = scanner._last_import(text)
    try:
        try:
            scanner._scan_fast(text, last, [last], [-1], {})
        except scanner._ReachTooShort as short:
            nested = max(position for position, reach in short.needs if reach >= 0)
            scanner._scan_fast(text, nested, *scanner._plan(short.needs, nested), {})
    except scanner._FastPathGaveUp:
        return False
    return True


@pytest.mark.parametrize("depth", [1, 12])
def test_a_keyword_line_inside_brackets_keeps_the_fast_path(depth: int) -> None:
    # pydantic-ai's tests (1 MB files of nested snapshots) all fell back to the careful lexer: an `if`/`else`
    # continuing an expression after a block was taken for "cannot tell", and brackets nested deeper than 8
    # could not be checked
    text = (
        "import os\n\n\ndef f():\n    try:\n        import json\n    except ImportError:\n        json = None\n"
        "\n\nCASES = " + "(" * depth + "\n    [{'a': [1]}]\n    if os\n    else []\n" + ")" * depth + "\n\n\n"
        "def g():\n    if os:\n        import re\n"
    )
    expected = reference_imports(ast.parse(text), text)
    assert scanned(scan(text)) == expected == scanned(scan_careful(text).imports)
    assert _fast_path_lexes(text)


def test_scanner_agrees_with_ast_on_every_file_of_the_standard_library() -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    compared = 0
    mismatches = []
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts or "dist-packages" in path.parts:
            continue
        data = path.read_bytes()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(data)
        except (SyntaxError, ValueError):
            continue
        compared += 1
        expected = reference_imports(tree, data.decode("utf-8", "replace").removeprefix("\ufeff").replace("\r\n", "\n"))
        found = scanned(scan_bytes(data).imports)
        if found != expected:
            mismatches.append((path, sorted(expected - found)[:3], sorted(found - expected)[:3]))
    assert compared > 1000
    assert mismatches == []


def test_careful_lexer_agrees_with_ast_on_a_sample_of_the_standard_library() -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    paths = [path for path in sorted(root.rglob("*.py")) if "site-packages" not in path.parts][::10]
    compared = 0
    for path in paths:
        data = path.read_bytes()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(data)
            text = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
        except (SyntaxError, ValueError):
            continue
        compared += 1
        assert scanned(scan_careful(text).imports) == reference_imports(tree, text), path
    assert compared > 100


# --------------------------------------------------------------------------------------------- bytes and files


def test_coding_cookie_is_honoured() -> None:
    data = "# -*- coding: latin-1 -*-\nx = 'é'\nimport é_module\n".encode("latin-1")
    result = scan_bytes(data)
    assert result.error is None
    assert [s.module for s in result.imports] == ["é_module"]


def test_coding_cookie_on_second_line_after_a_shebang() -> None:
    data = "#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nimport ß\n".encode("cp1252")
    assert [s.module for s in scan_bytes(data).imports] == ["ß"]


def test_utf8_bom_is_dropped() -> None:
    result = scan_bytes(b"\xef\xbb\xbfimport a\n")
    assert [(s.module, s.column) for s in result.imports] == [("a", 7)]


def test_undecodable_bytes_are_reported() -> None:
    result = scan_bytes(b"import a\nx = '\xff\xfe'\nimport b\n")
    assert result.error is not None and "line 2" in result.error
    assert [s.module for s in result.imports] == ["a", "b"]


def test_unknown_encoding_is_reported() -> None:
    assert scan_bytes(b"# coding: no-such-codec\nimport a\n").error is not None


def test_nul_bytes_mean_a_binary_file() -> None:
    result = scan_bytes(b"import a\x00\n")
    assert result.imports == () and result.error is not None


def test_scan_file_caches_until_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "module.py"
    path.write_text("import a\n")
    first = scan_file(path)
    assert scan_file(path) is first
    path.write_text("import a\nimport bb\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    second = scan_file(path)
    assert second is not first
    assert [s.module for s in second.imports] == ["a", "bb"]
    assert scan_files([path])[path] is second


def test_unreadable_file_gives_an_error_not_an_exception(tmp_path: Path) -> None:
    assert scan_file(tmp_path / "missing.py").error is not None
    folder = tmp_path / "folder.py"
    folder.mkdir()
    assert scan_files([folder])[folder].error is not None


def test_scan_files_scans_every_path(tmp_path: Path) -> None:
    paths = []
    for index in range(5):
        path = tmp_path / f"m{index}.py"
        path.write_text(f"import m{index}\n")
        paths.append(path)
    results = scan_files(paths)
    assert [results[path].imports[0].module for path in paths] == [f"m{index}" for index in range(5)]


# --------------------------------------------------------------------------------------------- trees


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("import x\n")


def test_iter_python_files_skips_environments_and_tool_folders(tmp_path: Path) -> None:
    for name in ["app/main.py", "app/sub/mod.py", "app/data.txt", "app/stub.pyi", "top.py"]:
        _touch(tmp_path / name)
    for name in [
        ".git/hook.py",
        "node_modules/x.py",
        "app/__pycache__/c.py",
        "build/lib/b.py",
        "dist/d.py",
        ".tox/t.py",
        "lib/site-packages/s.py",
        "env/lib/e.py",
        "pkg.egg-info/p.py",
    ]:
        _touch(tmp_path / name)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "dist" / "pkg-1.0-py3-none-any.whl").write_bytes(b"")  # build output: holds artefacts
    found = [path.relative_to(tmp_path).as_posix() for path in iter_python_files(tmp_path)]
    assert found == ["top.py", "app/main.py", "app/sub/mod.py"]


def test_iter_python_files_survives_symlink_loops(tmp_path: Path) -> None:
    _touch(tmp_path / "a" / "m.py")
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = list(iter_python_files(tmp_path))
    assert [path.name for path in found] == ["m.py"]


def test_iter_python_files_honours_exclude(tmp_path: Path) -> None:
    _touch(tmp_path / "keep.py")
    _touch(tmp_path / "skip" / "x.py")
    _touch(tmp_path / "drop.py")
    found = iter_python_files(tmp_path, exclude=lambda path: path.name in ("skip", "drop.py"))
    assert [path.name for path in found] == ["keep.py"]


def test_iter_python_files_skips_unreadable_folders(tmp_path: Path) -> None:
    _touch(tmp_path / "ok.py")
    _touch(tmp_path / "closed" / "x.py")
    # in a process that meets permissions as an ordinary user does (root would read the closed folder)
    script = ("import sys, pathlib; from venvsense.imports import iter_python_files; "
              "print(*[p.name for p in iter_python_files(pathlib.Path(sys.argv[1]))])")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "server")}
    (tmp_path / "closed").chmod(0)
    try:
        result = subprocess.run([*as_ordinary_user(), sys.executable, "-c", script, str(tmp_path)],
                                capture_output=True, text=True, env=env, timeout=60, check=False)
    finally:
        (tmp_path / "closed").chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ok.py"]


def test_iter_python_files_asks_folder_and_file_filters_separately(tmp_path: Path) -> None:
    for name in ("keep.py", "drop.py", "skip/inner.py", "sub/kept.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    asked_folders: list[str] = []
    found = iter_python_files(
        tmp_path,
        exclude_folder=lambda p: asked_folders.append(p.name) or p.name == "skip",
        exclude_file=lambda p: p.name == "drop.py",
    )
    assert sorted(p.relative_to(tmp_path).as_posix() for p in found) == ["keep.py", "sub/kept.py"]
    assert sorted(asked_folders) == ["skip", "sub"]


def _big_tree(root: Path, files: int) -> list[Path]:
    paths = []
    for index in range(files):
        path = root / f"pkg{index // 100}" / f"m{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"import os\nfrom pkg import m{index}  # x\ntry:\n    import fast{index}\nexcept ImportError:\n"
                        "    pass\n")
        old = time.time_ns() - 60_000_000_000  # not "racy": written well before the cache is
        os.utime(path, ns=(old, old))
        paths.append(path)
    return paths


@pytest.fixture
def persistent(tmp_path: Path) -> Iterator[Path]:
    imports.clear_cache()
    yield tmp_path / "cache"
    imports.clear_cache()


def test_persistent_cache_gives_a_new_process_the_same_scans(tmp_path: Path, persistent: Path) -> None:
    root = tmp_path / "project"
    paths = _big_tree(root, imports.PERSISTENT_MIN_FILES)
    first = scan_files(paths)
    cache = DiskScanCache(persistent)
    assert cache.save(root, paths)
    assert not cache.save(root, paths)  # unchanged: not written again
    assert [p.parent for p in persistent.iterdir()] == [persistent]
    imports.clear_cache()  # as a new process starts: a new DiskScanCache
    assert DiskScanCache(persistent).load(root, len(paths)) == len(paths)
    assert scan_files(paths) == first


def _same_stamp_other_text(path: Path, text: str) -> None:
    """Writes ``text`` (as long as the old text) and gives the file its old mtime back: only a read shows it."""
    status = path.stat()
    assert len(text.encode()) == status.st_size
    path.write_text(text)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def test_imports_by_string_are_found_when_a_file_is_read_for_its_scan_and_kept_on_disk(
        tmp_path: Path, persistent: Path) -> None:
    # the "imports by string" pass of a warm check must not read every importlib/pytest file again: the names
    # come from the read that scanned it, in this process or (through the on-disk cache) in the last one
    root = tmp_path / "project"
    paths = _big_tree(root, imports.PERSISTENT_MIN_FILES)
    uses = paths[0]
    uses.write_text('import importlib\nplugin = importlib.import_module("alpha.sub")\n')
    old = time.time_ns() - 60_000_000_000
    os.utime(uses, ns=(old, old))
    scanned = scan_files(paths)
    assert string_imports(scanned) == {"alpha.sub"}
    _same_stamp_other_text(uses, 'import importlib\nplugin = importlib.import_module("gamma.sub")\n')
    assert string_imports(scanned) == {"alpha.sub"}  # from the scan's read, not a second one
    assert DiskScanCache(persistent).save(root, paths)
    imports.clear_cache()  # a new process
    assert DiskScanCache(persistent).load(root, len(paths)) == len(paths)
    assert string_imports(scan_files(paths)) == {"alpha.sub"}  # kept on disk with the scan
    # a file scanned otherwise (an editor's unsaved buffer) is read from disk
    assert string_imports({uses: scan_source(uses.read_text())}) == {"gamma.sub"}


def test_persistent_cache_entry_of_a_changed_file_is_not_used(tmp_path: Path, persistent: Path) -> None:
    root = tmp_path / "project"
    paths = _big_tree(root, imports.PERSISTENT_MIN_FILES)
    scan_files(paths)
    DiskScanCache(persistent).save(root, paths)
    imports.clear_cache()
    paths[0].write_text("import changed\n")
    DiskScanCache(persistent).load(root, len(paths))
    assert [s.module for s in scan_files(paths)[paths[0]].imports] == ["changed"]


def test_corrupt_persistent_cache_is_ignored_and_rewritten(tmp_path: Path, persistent: Path) -> None:
    root = tmp_path / "project"
    paths = _big_tree(root, imports.PERSISTENT_MIN_FILES)
    scan_files(paths)
    DiskScanCache(persistent).save(root, paths)
    (cache_file,) = persistent.iterdir()
    cache_file.write_bytes(cache_file.read_bytes()[:1000])
    imports.clear_cache()
    cache = DiskScanCache(persistent)
    assert cache.load(root, len(paths)) == 0
    assert scan_files(paths)[paths[0]].imports[0].module == "os"
    assert cache.save(root, paths)


def test_persistent_cache_is_never_written_inside_the_project(tmp_path: Path, persistent: Path) -> None:
    root = tmp_path / "project"
    paths = _big_tree(root, imports.PERSISTENT_MIN_FILES)
    scan_files(paths)
    assert not DiskScanCache(root / ".cache").save(root, paths)
    assert not (root / ".cache").exists()


def test_the_default_cache_folder_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENVSENSE_CACHE_DIR", str(tmp_path / "here"))
    cache = DiskScanCache.default()
    assert cache is not None and cache.folder == tmp_path / "here"
    monkeypatch.setenv("VENVSENSE_CACHE_DIR", "")
    assert DiskScanCache.default() is None


def test_small_projects_do_not_use_the_persistent_cache(tmp_path: Path, persistent: Path) -> None:
    paths = _big_tree(tmp_path / "project", 3)
    scan_files(paths)
    assert not DiskScanCache(persistent).save(tmp_path / "project", paths)
    assert not persistent.exists()


# -- packed results: what a large project's index is made of


def test_scan_results_are_packed_and_give_back_equal_statements() -> None:
    source = textwrap.dedent("""\
        from __future__ import annotations
        import os.path as p, json
        from . import sibling
        from ..pkg.mod import (a,
                               b)
        try:
            import ujson
        except ImportError:
            ujson = None
        if TYPE_CHECKING:
            from typing import Any
        def f():
            import yaml
        """)
    result = scan_source(source)
    statements = result.imports
    assert len(result) == len(statements) == 8
    assert [result.statement_at(index) for index in range(len(result))] == list(statements)
    assert result.modules == tuple(s.module for s in statements)
    assert result.names == tuple(s.names for s in statements)
    assert list(result.levels()) == [s.level for s in statements] == [0, 0, 0, 1, 2, 0, 0, 0]
    flags = [(s.future, s.optional, s.type_checking, s.in_function) for s in statements]
    assert flags == [(True, False, False, False), (False, False, False, False), (False, False, False, False),
                     (False, False, False, False), (False, False, False, False), (False, True, False, False),
                     (False, False, True, False), (False, False, False, True)]
    rebuilt = imports.ScanResult(statements, result.error)
    assert rebuilt == result and hash(rebuilt) == hash(result)
    assert imports.ScanResult(statements[1:]) != result
    with pytest.raises(AttributeError):
        result.error = "changed"  # type: ignore[misc]


def test_module_names_and_name_tuples_are_shared_between_files() -> None:
    first = scan_source("import numpy.linalg\nfrom typing import Any, cast\n")
    second = scan_source("x = 1\nimport numpy.linalg\nfrom typing import Any, cast\n")
    assert first.modules[0] is second.modules[0]
    assert first.names[1] is second.names[1]
    assert first.imports[1].names == ("Any", "cast")


def test_positions_beyond_two_bytes_survive_packing_and_the_persistent_cache(tmp_path: Path,
                                                                             persistent: Path) -> None:
    far = "\n" * 70_000 + " " * 3 + "(\n" + " " * 70_000 + ")\nimport far_away\n"
    [statement] = scan_source(far).imports
    assert (statement.module, statement.line, statement.column) == ("far_away", 70_002, 7)
    root = tmp_path / "project"
    paths = _big_tree(root, imports.PERSISTENT_MIN_FILES)
    paths[0].write_text(far)
    old = time.time_ns() - 60_000_000_000
    os.utime(paths[0], ns=(old, old))
    first = scan_files(paths)
    assert DiskScanCache(persistent).save(root, paths)
    imports.clear_cache()  # a new process: a new DiskScanCache
    assert DiskScanCache(persistent).load(root, len(paths)) == len(paths)
    again = scan_files(paths)
    assert again == first
    assert again[paths[0]].imports == (statement,)
    assert again[paths[1]].imports == first[paths[1]].imports

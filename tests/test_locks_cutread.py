"""A lock's arrays read without ``tomllib`` (``tomlfile.loads_cut``): a uv lock's dependency arrays, one plain item a
line, are read with regular expressions while ``tomllib`` parses the rest with a placeholder string in their place
(1.5 MB pydantic-ai lock: its lean text parsed in 33 ms instead of 53). Exact or not at all: proved here to give the
very document ``tomllib`` gives on every lock of this checkout and, by hand, of the real trees
(``VENVSENSE_REAL_LOCKS=/work/realspeed:/work/real``), on odd and hand-written text, and on thousands of
mutations of a real lock (each either the same document, or ``None`` and the caller parses it all)."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from venvsense.declarations.locks.uv import SKIPPED
from venvsense.tomlfile import lean_text, loads_cut, read_toml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = Path(__file__).parent / "data" / "locks"


def _identical(a: Any, b: Any, where: str = "") -> None:
    """``a`` is ``b``: equal, of the same types, keys in the same order."""
    assert type(a) is type(b), where
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _identical(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _identical(x, y, f"{where}[{index}]")
    else:
        assert a == b, where


def _same_or_none(text: str) -> bool:
    """``loads_cut(text)`` is ``tomllib.loads(text)`` or ``None`` (and ``None`` whenever ``tomllib`` refuses the
    text); whether it read the text itself."""
    cut = loads_cut(text)
    try:
        whole = tomllib.loads(text)
    except ValueError:
        assert cut is None
        return False
    if cut is None:
        return False
    _identical(cut, whole)
    return True


def _locks() -> list[Path]:
    found = sorted(DATA.rglob("*.lock"))
    for folder in os.environ.get("VENVSENSE_REAL_LOCKS", "").split(os.pathsep):
        if folder:
            found.extend(sorted(p for p in Path(folder).rglob("uv.lock") if ".venv" not in p.parts))
    return found


def test_every_lock_here_reads_cut_to_the_document_tomllib_gives() -> None:
    read = 0
    for path in _locks():
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lean = lean_text(text, (*SKIPPED, "files")) or text
        if '"""' in lean or "'''" in lean:
            continue  # (what lean_text never hands over)
        read += _same_or_none(lean)
        if path.name == "uv.lock":
            parsed = read_toml(path, text, skip=SKIPPED)  # the lock reader's own call: the same document
            if parsed.data is not None:
                whole = tomllib.loads(lean_text(text, SKIPPED) or text)
                _identical(parsed.data, whole)
    assert read > 0  # (the vendored uv lock at least is read cut)


UV = '''version = 1
requires-python = ">=3.10"

[manifest]
members = [
    "app",
    "lib",
]

[[package]]
name = "app"
version = "1.0"
source = { editable = "." }
dependencies = [
    { name = "beta", marker = "sys_platform == 'win32'" },
    { name = "gamma", extra = ["fast", "x"], version = "2.0", source = { registry = "https://pypi.org/simple" } },
    { name = "delta", extra = [] },
]

[package.optional-dependencies]
fast = [
    { name = "zeta" },
]

[package.metadata]
requires-dist = [
    { name = "beta", marker = "sys_platform == 'win32'", specifier = ">=1" },
]
provides-extras = ["fast"]
'''


@pytest.mark.parametrize("text", [
    UV,
    UV.replace("\n", "\r\n"),  # CRLF lines
    UV.replace('    { name = "zeta" },\n', ""),  # an empty multi-line array
    UV.replace('    { name = "zeta" },\n', '    { name = "zeta" }\n'),  # no comma after the last item
    UV.replace('extra = [] }', 'extra = ["a", ] }'),  # a trailing comma in a one-line array
    UV.replace('extra = [] }', 'extra = [ , ] }'),  # not TOML
    UV.replace('{ name = "zeta" }', '{ name = "zeta", name = "eta" }'),  # a key twice: TOML refuses it
    UV.replace('source = { registry', 'source = { registry = "a", registry'),  # twice in an inner table
    UV.replace('{ name = "zeta" }', '{ name = "zeta", }'),  # a trailing comma in an inline table: not TOML
    UV.replace('{ name = "zeta" }', '{ name = "zeta" }  # a comment'),  # a comment in the array: not cut
    UV.replace('{ name = "zeta" },', '{ name = "zeta" },\n'),  # a blank line in the array: not cut
    UV.replace('{ name = "zeta" }', '{ "name" = "zeta" }'),  # a quoted key: not cut
    UV.replace('{ name = "zeta" }', '{ name.first = "zeta" }'),  # a dotted key: not cut
    UV.replace('{ name = "zeta" }', '{ name = "ze\\"ta" }'),  # an escape: not cut
    UV.replace('{ name = "zeta" }', '{ name = "ze\\u0000ta" }'),  # a NUL: nothing is cut
    UV.replace('{ name = "zeta" }', '{ name = "\\u00000" }'),  # a would-be placeholder: nothing is cut
    UV.replace('{ name = "zeta" }', '{ name = "ze\tta{}[]=,#" }'),  # a tab and TOML's punctuation in a string
    UV.replace('{ name = "zeta" }', '{ name = "zeta\x01" }'),  # a control character: not TOML
    UV.replace('{ name = "zeta" }', '{ 1 = "zeta", -_ = "" }'),  # bare keys of digits and dashes, an empty string
    UV.replace("fast = [\n", "fast = [  # the extras\n"),  # a comment after the bracket: not cut
    UV.replace("]\n\n[package.metadata]", "]  # end\n\n[package.metadata]"),  # a comment after the array: cut
    UV.replace("]\n\n[package.metadata]", "] x\n\n[package.metadata]"),  # not TOML
    UV.replace("fast = [\n", "fast = [\n").replace("[package.metadata]\n", "fast = 1\n[package.metadata]\n"),
    UV + "\n[package.optional-dependencies]\nslow = []\n",  # a table twice: not TOML
    UV + 'dependencies = [\n    "a",\n]\n',  # a key twice: not TOML
    UV + "\n[[package.dependencies]]\nname = 'x'\n",  # an array of tables after a plain array: not TOML
    UV + 'nested = [\n    "a",\n    inner = [\n        "b",\n    ],\n]\n',  # a key inside an array: not TOML
    'a = [\n    "x",\n    "y",\n]\nb = [\n    [\n        "z",\n    ],\n]\n',  # an array of arrays: only `a` cut
    'key = [\n]\n',  # only an empty array
    '[t]\nkey = [\n    { a = "1" },\n    "mixed",\n]\n',  # tables and strings in one array
])
def test_odd_text_reads_cut_to_tomllibs_document_or_not_at_all(text: str) -> None:
    _same_or_none(text)


def test_the_typical_uv_lock_is_read_cut() -> None:
    assert _same_or_none(UV) and _same_or_none(UV.replace("\n", "\r\n"))


_EDITS = ('"', "{", "}", "[", "]", ",", "=", " ", "\n", "#", "x", "\\", "'", "\t", "\x00", "\\u0000", ".")


def test_mutations_of_a_real_lock_read_cut_to_tomllibs_document_or_not_at_all() -> None:
    text = lean_text((DATA / "built-by-uv.uv.lock").read_text("utf-8"), SKIPPED)
    assert text is not None and _same_or_none(text)
    lines = text.splitlines(keepends=True)
    chance = random.Random(20261130)
    read = 0
    for _ in range(1500):
        edited = list(lines)
        at = chance.randrange(len(edited))
        how = chance.randrange(4)
        if how == 0:
            del edited[at]
        elif how == 1:
            edited.insert(at, edited[chance.randrange(len(edited))])
        elif how == 2 and at + 1 < len(edited):
            edited[at], edited[at + 1] = edited[at + 1], edited[at]
        else:
            line = edited[at]
            column = chance.randrange(len(line) + 1)
            edited[at] = line[:column] + chance.choice(_EDITS) + line[column + chance.randrange(2):]
        read += _same_or_none("".join(edited))
    assert read > 500  # most mutations leave the arrays to be read cut

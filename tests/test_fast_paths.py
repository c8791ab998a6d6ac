"""The cheaper readings of issue 13 (the cold check's work outside the scanner) say exactly what the plain
readings they replace say: each plain reading is kept here as the reference and compared on generated inputs."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from venvsense.classify.members import imported_by_workspace_members
from venvsense.dotted import DottedNames
from venvsense.environment.metadata import _read_lines, _record_paths
from venvsense.firstparty import one_run
from venvsense.mapping import record_paths
from venvsense.model.paths import relative_path
from venvsense.rules.trust import _OCCURRENCES, _names_module


def _names_module_reference(data: bytes, top: bytes) -> bool:
    return any(quote + top + end + quote in data for quote in (b'"', b"'") for end in (b".py", b""))


# few pieces, so that the four forms and their near misses (`"mod.p"`, `'mod"`, `"mo" d`) come up often
_PIECES = st.sampled_from([b'"', b"'", b".py", b"mod", b"d", b" ", b".p"])


@settings(max_examples=800, deadline=None)
@given(st.lists(_PIECES, max_size=30), st.sampled_from([b"mod", b"d", b"mo", b"modmod", b"'", b".py", b""]))
@example([b'"', b"mod", b".py", b'"'], b"mod")
@example([b"'", b"mod", b"'"], b"mod")
@example([b"'", b"mod", b'"', b"mod", b".py"], b"mod")
def test_names_module_is_the_four_searches(pieces: list[bytes], top: bytes) -> None:
    data = b"".join(pieces)
    assert _names_module(data, top) == _names_module_reference(data, top)


def test_names_module_past_many_occurrences() -> None:
    top = b"aplugin"
    many = b"import aplugin\n" * (_OCCURRENCES + 5)
    for tail, expected in ((b"", False), (b'write("aplugin.py")', True), (b"x = 'aplugin'", True),
                           (b"x = 'aplugin\"", False)):
        assert _names_module(many + tail, top) is expected
        assert _names_module(tail + many, top) is expected


def _declared_by_reference(names: tuple[str, ...], declared: list[str]) -> bool:
    """``rules.trust``'s reading before: a declared module is the import, a package above it or a portion under it."""
    return any(name == module or name.startswith(module + ".") or module.startswith(name + ".")
               for name in names for module in declared)


_DOTTED = st.lists(st.sampled_from(["a", "b", "ab", "", "a.b"]), min_size=1, max_size=4).map(".".join)


@settings(max_examples=800, deadline=None)
@given(st.lists(_DOTTED, max_size=6), _DOTTED, _DOTTED)
def test_declared_modules_as_a_tree_answer_as_the_string_comparisons(declared: list[str], target: str,
                                                                    module: str) -> None:
    tree = DottedNames(declared)
    assert (tree.covers(target) or tree.covers(module)) == _declared_by_reference((target, module), declared)


def _relative_path_reference(path: Path, base: Path, climb: bool) -> str:
    """``model.paths.relative_path`` as it was: ``Path.relative_to`` always."""
    try:
        return str(path.relative_to(base))
    except ValueError:
        if climb:
            try:
                return os.path.relpath(path, base)
            except ValueError:
                pass
        return str(path)


_PART = st.sampled_from(["a", "b", "ab", "a.b", "..", ".", ".a", "a b", "é"])
_PATH = st.tuples(st.sampled_from(["", "/", "//", "./"]), st.lists(_PART, max_size=4)).map(
    lambda start_parts: Path(start_parts[0] + "/".join(start_parts[1])) if start_parts[0] or start_parts[1]
    else Path("."))


@settings(max_examples=800, deadline=None)
@given(_PATH, _PATH, st.booleans())
def test_relative_path_by_text_is_relative_to(path: Path, base: Path, climb: bool) -> None:
    assert relative_path(path, base, climb=climb) == _relative_path_reference(path, base, climb)
    inside = base / "x" / path.name if path.name else base / "x"
    assert relative_path(inside, base, climb=climb) == _relative_path_reference(inside, base, climb)


def _record_paths_reference(text: str) -> list[str]:
    """``mapping``'s RECORD reading as it was: ``csv`` always."""
    return [row[0] for row in csv.reader(io.StringIO(text)) if row]


_RECORD_PIECES = st.sampled_from(["pkg/mod.py", ",", "sha256=abc", "12", "\n", "\r\n", "\r", '"', '"a,b"', "\x00",
                                  " ", "\u2028", "\x0b", "\x1c", "é/ü.py", "x" * 9, ""])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_RECORD_PIECES, max_size=25), st.sampled_from([4, 9, 10, 131072]))
def test_record_paths_split_as_csv_reads_them(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    before = csv.field_size_limit(limit)  # (a small limit: lines and fields around it come up)
    try:
        try:
            expected: list[str] | type[csv.Error] = _record_paths_reference(text)
        except csv.Error:
            expected = csv.Error
        try:
            found: list[str] | type[csv.Error] = record_paths(text)
        except csv.Error:
            found = csv.Error
    finally:
        csv.field_size_limit(before)
    assert found == expected


def _dist_record_paths_reference(path: Path) -> list[str]:
    """``environment.metadata``'s RECORD reading as it was: its lines (``splitlines``) through ``csv``."""
    lines = _read_lines(path, "RECORD")
    if lines is None:
        return []
    try:
        return [row[0] for row in csv.reader(lines) if row]
    except csv.Error:
        return [line.split(",", 1)[0] for line in lines if line]


@settings(max_examples=600, deadline=None)
@given(st.lists(_RECORD_PIECES | st.sampled_from(["\ufeff", "\x85", "\x0c"]), max_size=25),
       st.sampled_from([4, 9, 131072]))
def test_a_distributions_record_paths_are_what_csv_reads(pieces: list[str], limit: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        record = Path(folder) / "RECORD"
        record.write_bytes("".join(pieces).encode("utf-8"))
        before = csv.field_size_limit(limit)
        try:
            assert _record_paths(record) == _dist_record_paths_reference(record)
        finally:
            csv.field_size_limit(before)


def test_what_a_workspaces_members_import_is_kept_for_one_run_only(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    module = root / "pkg" / "src" / "pkg" / "__init__.py"
    module.parent.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "ws"\n[tool.uv.workspace]\nmembers = ["pkg"]\n')
    (root / "pkg" / "pyproject.toml").write_text('[project]\nname = "pkg"\n')
    module.write_text("import requests\n")
    outside = imported_by_workspace_members(root)
    with one_run():
        inside = imported_by_workspace_members(root)
        module.write_text("import requests\nimport httpx\n")
        again = imported_by_workspace_members(root)  # (the run takes the tree as unchanged, as it reads it once)
    after = imported_by_workspace_members(root)
    assert outside == inside == again == {"requests"}
    assert after == {"requests", "httpx"}

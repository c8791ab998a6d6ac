"""pyproject.toml reader: PEP 621, PEP 735, Poetry and uv declarations with exact ranges, and totality."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet

from venvsense.declarations import Declaration, Manifest
from venvsense.declarations.pyproject import read_pyproject, translate_poetry_constraint
from venvsense.findings import Severity
from venvsense.text import Position, Range


def range_of(text: str, needle: str, occurrence: int = 0) -> Range:
    """The range of the ``occurrence``-th ``needle`` in ``text`` (lines split at ``\\n``)."""
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)

    def position(at: int) -> Position:
        line = text.count("\n", 0, at)
        return Position(line, at - (text.rfind("\n", 0, at) + 1))

    return Range(position(offset), position(offset + len(needle)))


def slice_of(text: str, range_: Range) -> str:
    lines = text.split("\n")
    if range_.start.line == range_.end.line:
        return lines[range_.start.line][range_.start.column:range_.end.column]
    parts = [lines[range_.start.line][range_.start.column:]]
    parts += lines[range_.start.line + 1:range_.end.line]
    parts.append(lines[range_.end.line][:range_.end.column])
    return "\n".join(parts)


def read(tmp_path: Path, text: str) -> Manifest:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return read_pyproject(path)


def by_name(manifest: Manifest, name: str, group: str | None = None) -> Declaration:
    found = [d for d in manifest.declarations if d.name == name and (group is None or d.group == group)]
    assert len(found) == 1, manifest.declarations
    return found[0]


# -- [project] ----------------------------------------------------------------------------------------


def test_project_dependencies_are_main_primary_with_the_range_of_the_string_content(tmp_path):
    text = '[project]\nname = "x"\ndependencies = [\n    "requests>=2.31",\n    \'click\',\n]\n'
    manifest = read(tmp_path, text)
    requests = by_name(manifest, "requests")
    assert (requests.group, requests.primary, requests.declaration_set) == ("main", True, "pyproject.toml")
    assert requests.range == range_of(text, "requests>=2.31")
    assert requests.specifier == ">=2.31" and requests.requirement == "requests>=2.31"
    assert requests.kind == "registry" and requests.file == tmp_path / "pyproject.toml"
    assert by_name(manifest, "click").range == range_of(text, "click")
    assert manifest.files == [tmp_path / "pyproject.toml"] and manifest.findings == []


def test_multi_line_string_range_starts_after_the_newline_that_follows_the_quotes(tmp_path):
    text = '[project]\ndependencies = ["""\nrich>=13""", \'\'\'attrs\'\'\']\n'
    manifest = read(tmp_path, text)
    assert by_name(manifest, "rich").range == range_of(text, "rich>=13")
    assert by_name(manifest, "attrs").range == range_of(text, "attrs")


def test_escaped_quotes_and_comments_do_not_shift_ranges(tmp_path):
    text = ('[project] # "not a string"\ndependencies = [ # "nor this"\n'
            '  "pkg; sys_platform == \\"linux\\"",  # "x"\n  "other",\n]\n')
    manifest = read(tmp_path, text)
    assert by_name(manifest, "pkg").range == range_of(text, 'pkg; sys_platform == \\"linux\\"')
    assert by_name(manifest, "pkg").marker == 'sys_platform == "linux"'
    assert by_name(manifest, "other").range == range_of(text, "other")


def test_extras_are_sorted_and_markers_kept(tmp_path):
    text = '[project]\ndependencies = ["uvicorn[standard,asgi] >=0.30 ; python_version >= \'3.11\'"]\n'
    declaration = by_name(read(tmp_path, text), "uvicorn")
    assert declaration.extras == ("asgi", "standard")
    assert declaration.marker == 'python_version >= "3.11"'
    assert declaration.specifier == ">=0.30"


def test_direct_url_is_url_kind_and_file_url_is_path_kind(tmp_path):
    text = ('[project]\ndependencies = ["a @ https://example.com/a-1.0.tar.gz", '
            '"b @ file:///opt/b"]\n')
    manifest = read(tmp_path, text)
    a, b = by_name(manifest, "a"), by_name(manifest, "b")
    assert (a.kind, a.url) == ("url", "https://example.com/a-1.0.tar.gz")
    assert (b.kind, b.url) == ("path", "file:///opt/b")


def test_optional_dependencies_are_secondary_groups_named_for_the_extra(tmp_path):
    text = '[project]\ndependencies = []\n\n[project.optional-dependencies]\ntest = ["pytest>=8"]\n'
    pytest_ = by_name(read(tmp_path, text), "pytest")
    assert (pytest_.group, pytest_.primary, pytest_.declaration_set) == ("test", False, "extra 'test'")
    assert pytest_.range == range_of(text, "pytest>=8")


def test_table_headers_are_told_apart_from_their_sub_tables(tmp_path):
    text = ('[project.optional-dependencies]\ndocs = ["sphinx"]\n[[tool.other]]\nx = ["sphinx"]\n'
            '[project]\ndependencies = ["sphinx"]\n')
    manifest = read(tmp_path, text)
    assert by_name(manifest, "sphinx", "docs").range == range_of(text, "sphinx", 0)
    assert by_name(manifest, "sphinx", "main").range == range_of(text, "sphinx", 2)


def test_dotted_keys_and_inline_tables_are_located(tmp_path):
    text = ('project.name = "x"\nproject.dependencies = ["one"]\n'
            'project."optional-dependencies" = {e = ["two"]}\n')
    manifest = read(tmp_path, text)
    assert by_name(manifest, "one").range == range_of(text, "one")
    assert by_name(manifest, "two").range == range_of(text, "two")


def test_requires_python_is_the_string_with_its_range(tmp_path):
    text = '[project]\nrequires-python = ">=3.10"\n'
    path = tmp_path / "pyproject.toml"
    assert read(tmp_path, text).requires_python == (">=3.10", path, range_of(text, ">=3.10"))


def test_invalid_requires_python_is_an_invalid_declaration(tmp_path):
    text = '[project]\nrequires-python = "3.10+"\n'
    manifest = read(tmp_path, text)
    assert manifest.requires_python is None
    [finding] = manifest.findings
    assert finding.code == "VS206" and finding.range == range_of(text, "3.10+")


def test_unparseable_requirement_is_vs206_with_packagings_message(tmp_path):
    text = '[project]\ndependencies = ["good", "bad name here"]\n'
    manifest = read(tmp_path, text)
    [finding] = manifest.findings
    assert finding.code == "VS206" and finding.severity is Severity.ERROR
    assert "Expected semicolon" in finding.message and "\n" not in finding.message
    assert finding.range == range_of(text, "bad name here")
    assert finding.package == "bad"
    assert [d.name for d in manifest.declarations] == ["good"]


def test_non_string_entry_is_vs206_at_the_entry(tmp_path):
    text = '[project]\ndependencies = ["good", 42, {a = 1}]\n'
    manifest = read(tmp_path, text)
    assert [f.range for f in manifest.findings] == [range_of(text, "42"), range_of(text, "{a = 1}")]
    assert all(f.code == "VS206" for f in manifest.findings)


def test_dependencies_of_the_wrong_type_is_vs206_at_the_value(tmp_path):
    text = '[project]\ndependencies = "requests"\n'
    [finding] = read(tmp_path, text).findings
    assert finding.code == "VS206" and "array" in finding.message
    assert finding.range == range_of(text, "requests")


def test_invalid_entry_in_an_extra_is_one_level_lower(tmp_path):
    text = '[project.optional-dependencies]\nx = ["no good!"]\n'
    [finding] = read(tmp_path, text).findings
    assert finding.severity is Severity.WARNING and finding.declaration_set == "extra 'x'"


# -- [dependency-groups] ------------------------------------------------------------------------------


def test_dependency_group_entries_are_secondary_and_named_for_the_group(tmp_path):
    text = '[dependency-groups]\ntest = ["pytest"]\n'
    declaration = by_name(read(tmp_path, text), "pytest")
    assert (declaration.group, declaration.primary) == ("test", False)
    assert declaration.declaration_set == "group 'test'"
    assert declaration.range == range_of(text, "pytest")


def test_include_group_brings_the_included_entries_with_their_own_ranges(tmp_path):
    text = '[dependency-groups]\nlint = ["ruff"]\nci = [{include-group = "Lint"}, "tox"]\n'
    manifest = read(tmp_path, text)
    assert manifest.findings == []
    included = by_name(manifest, "ruff", "ci")
    assert included.range == range_of(text, "ruff") and included.declaration_set == "group 'ci'"
    assert by_name(manifest, "ruff", "lint").range == included.range
    assert by_name(manifest, "tox", "ci").group == "ci"


def test_include_cycle_is_vs206_at_the_include_table_not_an_exception(tmp_path):
    text = ('[dependency-groups]\na = ["one", {include-group = "b"}]\n'
            'b = ["two", {include-group = "a"}]\n')
    manifest = read(tmp_path, text)
    [finding] = manifest.findings
    assert finding.code == "VS206" and "cycle" in finding.message
    assert finding.range == range_of(text, '{include-group = "a"}')
    assert {(d.group, d.name) for d in manifest.declarations} == {("a", "one"), ("a", "two"), ("b", "two")}


def test_group_including_itself_is_vs206(tmp_path):
    text = '[dependency-groups]\na = [{include-group = "a"}, "x"]\n'
    [finding] = read(tmp_path, text).findings
    assert finding.range == range_of(text, '{include-group = "a"}')


def test_include_of_an_unknown_group_is_vs206(tmp_path):
    text = '[dependency-groups]\na = [{include-group = "missing"}]\n'
    [finding] = read(tmp_path, text).findings
    assert "missing" in finding.message and finding.range == range_of(text, '{include-group = "missing"}')


def test_group_names_equal_after_normalization_are_vs206(tmp_path):
    text = '[dependency-groups]\nTest = ["a"]\ntest = ["b"]\n'
    [finding] = read(tmp_path, text).findings
    assert "Duplicate dependency group names" in finding.message
    assert finding.range.start.line == 2


def test_malformed_group_item_is_vs206(tmp_path):
    text = '[dependency-groups]\na = [{include = "b"}]\n'
    [finding] = read(tmp_path, text).findings
    assert finding.code == "VS206" and finding.range == range_of(text, '{include = "b"}')


# -- uv -----------------------------------------------------------------------------------------------


def test_uv_dev_dependencies_are_the_dev_group(tmp_path):
    text = '[tool.uv]\ndev-dependencies = ["pytest>=8"]\n'
    declaration = by_name(read(tmp_path, text), "pytest")
    assert (declaration.group, declaration.primary) == ("dev", False)
    assert declaration.declaration_set == "tool.uv dev-dependencies"
    assert declaration.range == range_of(text, "pytest>=8")


def test_uv_path_source_makes_a_project_dependency_editable(tmp_path):
    text = ('[project]\ndependencies = ["mylib"]\n[tool.uv.sources]\n'
            'mylib = { path = "../mylib", editable = true }\n')
    declaration = by_name(read(tmp_path, text), "mylib")
    assert declaration.kind == "editable" and declaration.url == (tmp_path.parent / "mylib").as_uri()
    assert declaration.range == range_of(text, "mylib")


# -- Poetry -------------------------------------------------------------------------------------------

POETRY_CASES = [
    # constraint, PEP 440 translation, versions inside, versions outside
    ("^1.2.3", ">=1.2.3,<2.0.0", ["1.2.3", "1.9.9"], ["1.2.2", "2.0.0"]),
    ("^0.2.3", ">=0.2.3,<0.3.0", ["0.2.3", "0.2.9"], ["0.2.2", "0.3.0"]),
    ("^0.0.3", ">=0.0.3,<0.0.4", ["0.0.3"], ["0.0.2", "0.0.4"]),
    ("^1.2", ">=1.2,<2.0", ["1.2", "1.99"], ["1.1", "2.0"]),
    ("^0", ">=0,<1", ["0.5"], ["1.0"]),
    ("^0.0", ">=0.0,<0.1", ["0.0.5"], ["0.1"]),
    ("~1.2.3", ">=1.2.3,<1.3.0", ["1.2.3", "1.2.9"], ["1.2.2", "1.3.0"]),
    ("~1.2", ">=1.2,<1.3", ["1.2.0", "1.2.7"], ["1.1", "1.3"]),
    ("~1", ">=1,<2", ["1.0", "1.9"], ["0.9", "2.0"]),
    ("*", "", ["0.1", "99"], []),
    ("", "", ["1.0"], []),
    ("1.2.3", "==1.2.3", ["1.2.3"], ["1.2.4"]),
    ("=1.2.3", "==1.2.3", ["1.2.3"], ["1.2.4"]),
    ("1.2.*", "==1.2.*", ["1.2.0", "1.2.9"], ["1.3.0"]),
    ("!=1.2.*", "!=1.2.*", ["1.3"], ["1.2.5"]),
    (">=1,<2", ">=1,<2", ["1.5"], ["2.0", "0.9"]),
    (">= 1.0, < 2.0", ">=1.0,<2.0", ["1.5"], ["2.0"]),
    (">=1.0 <2.0 !=1.5", ">=1.0,<2.0,!=1.5", ["1.4"], ["1.5", "2.0"]),
    ("~=1.4", "~=1.4", ["1.9"], ["2.0"]),
    ("^1.2 || ^2.0", ">=1.2,<3.0", ["1.2", "2.5"], ["1.1", "3.0"]),
    ("1.2.3 || 1.4.0", ">=1.2.3,<=1.4.0", ["1.2.3", "1.4.0"], ["1.2.2", "1.4.1"]),
    (">=2 || <1", "", ["0.5", "5"], []),
]


@pytest.mark.parametrize(("constraint", "expected", "inside", "outside"), POETRY_CASES)
def test_poetry_constraint_translates_to_pep440(constraint, expected, inside, outside):
    translated = translate_poetry_constraint(constraint)
    assert translated == expected
    specifier = SpecifierSet(translated)
    assert all(specifier.contains(v, prereleases=False) for v in inside)
    assert not any(specifier.contains(v, prereleases=False) for v in outside)


@pytest.mark.parametrize("constraint", ["^x.y", ">=", "~=1", "1.2 - 1.4"])
def test_invalid_poetry_constraint_raises_value_error(constraint):
    with pytest.raises(ValueError):
        translate_poetry_constraint(constraint)


def test_poetry_dependencies_are_main_with_the_range_of_the_whole_entry(tmp_path):
    text = '[tool.poetry.dependencies]\npython = "^3.9"\nrequests = "^2.31"\n'
    manifest = read(tmp_path, text)
    requests = by_name(manifest, "requests")
    assert (requests.group, requests.primary, requests.declaration_set) == ("main", True, "pyproject.toml")
    assert requests.range == range_of(text, 'requests = "^2.31"')
    assert requests.requirement == "requests>=2.31,<3.0"
    assert SpecifierSet(requests.specifier) == SpecifierSet(">=2.31,<3.0")
    assert manifest.requires_python == (">=3.9,<4.0", tmp_path / "pyproject.toml", range_of(text, "^3.9"))
    assert [d.name for d in manifest.declarations] == ["requests"]


def test_poetry_table_form_turns_python_and_platform_into_markers(tmp_path):
    text = ('[tool.poetry.dependencies]\n'
            'numpy = {version = "^1.26", extras = ["b", "a"], python = ">=3.9,<3.13", platform = "linux", '
            'markers = "implementation_name == \'cpython\'"}\n')
    numpy = by_name(read(tmp_path, text), "numpy")
    assert numpy.extras == ("a", "b")
    assert SpecifierSet(numpy.specifier) == SpecifierSet(">=1.26,<2.0")
    assert numpy.marker is not None
    for part in ('implementation_name == "cpython"', 'python_version >= "3.9"', 'python_version < "3.13"',
                 'sys_platform == "linux"'):
        assert part in numpy.marker
    assert numpy.range == range_of(text, text.splitlines()[1])


def test_poetry_git_path_and_url_forms(tmp_path):
    text = ('[tool.poetry.dependencies]\n'
            'a = { git = "https://github.com/o/a.git", tag = "v1.0" }\n'
            'b = { path = "../b", develop = true }\n'
            'c = { path = "vendor/c-1.0.tar.gz" }\n'
            'd = { url = "https://example.com/d-1.0.zip" }\n'
            'e = { git = "git@github.com:o/e.git", develop = true }\n')
    manifest = read(tmp_path, text)
    a, b, c, d, e = (by_name(manifest, n) for n in "abcde")
    assert (a.kind, a.url) == ("url", "git+https://github.com/o/a.git@v1.0")
    assert (b.kind, b.url) == ("editable", (tmp_path.parent / "b").as_uri())
    assert (c.kind, c.url) == ("path", (tmp_path / "vendor" / "c-1.0.tar.gz").as_uri())
    assert (d.kind, d.url) == ("url", "https://example.com/d-1.0.zip")
    assert (e.kind, e.url) == ("editable", "git+ssh://git@github.com/o/e.git")
    assert a.requirement == "a @ git+https://github.com/o/a.git@v1.0"


def test_poetry_multiple_constraints_are_one_declaration_allowing_any_of_them(tmp_path):
    text = ('[tool.poetry.dependencies]\nfoo = [\n'
            '  {version = "<=1.9", python = ">=3.6,<3.8"},\n'
            '  {version = "^2.0", python = ">=3.8", extras = ["x"]},\n]\n')
    manifest = read(tmp_path, text)
    foo = by_name(manifest, "foo")
    assert foo.extras == ("x",)
    specifier = SpecifierSet(foo.specifier)
    assert specifier.contains("1.5") and specifier.contains("2.5") and not specifier.contains("3.0")
    assert foo.marker is not None and " or " in foo.marker
    assert foo.range.start == range_of(text, "foo = [").start and foo.range.end.line == 4


def test_poetry_optional_dependency_belongs_to_the_extras_that_list_it(tmp_path):
    text = ('[tool.poetry.dependencies]\nmysqlclient = { version = "^2", optional = true }\n'
            'unused = { version = "*", optional = true }\n'
            '[tool.poetry.extras]\nmysql = ["mysqlclient"]\ndb = ["MySQLClient"]\n')
    manifest = read(tmp_path, text)
    assert sorted((d.group, d.primary, d.declaration_set) for d in manifest.declarations) == [
        ("db", False, "extra 'db'"), ("mysql", False, "extra 'mysql'")]
    assert all(d.name == "mysqlclient" for d in manifest.declarations)


def test_poetry_groups_and_legacy_dev_dependencies_are_secondary(tmp_path):
    text = ('[tool.poetry.group.docs.dependencies]\nsphinx = "^7"\n'
            '[tool.poetry.dev-dependencies]\npytest = "^8"\n')
    manifest = read(tmp_path, text)
    sphinx, pytest_ = by_name(manifest, "sphinx"), by_name(manifest, "pytest")
    assert (sphinx.group, sphinx.primary, sphinx.declaration_set) == ("docs", False, "group 'docs'")
    assert (pytest_.group, pytest_.primary, pytest_.declaration_set) == ("dev", False, "group 'dev'")


def test_poetry_dependency_written_as_its_own_table_has_the_header_range(tmp_path):
    text = '[tool.poetry.dependencies.requests]\nversion = "^2"\nextras = ["socks"]\n'
    requests = by_name(read(tmp_path, text), "requests")
    assert requests.range == range_of(text, "[tool.poetry.dependencies.requests]")
    assert requests.extras == ("socks",)


def test_poetry_dotted_key_dependency_is_located(tmp_path):
    text = '[tool]\npoetry.dependencies.requests = "^2"\n'
    requests = by_name(read(tmp_path, text), "requests")
    assert requests.range == range_of(text, 'poetry.dependencies.requests = "^2"')


def test_with_project_dependencies_poetry_dependencies_only_add_sources(tmp_path):
    text = ('[project]\nrequires-python = ">=3.10"\ndependencies = ["mylib", "requests"]\n'
            '[tool.poetry.dependencies]\npython = "^3.11"\nmylib = { path = "../mylib", develop = true }\n'
            'requests = "^2"\n')
    manifest = read(tmp_path, text)
    assert [(d.name, d.kind) for d in manifest.declarations] == [
        ("mylib", "editable"), ("requests", "registry")]
    assert by_name(manifest, "mylib").range == range_of(text, "mylib")
    assert manifest.requires_python is not None and manifest.requires_python[0] == ">=3.10"


def test_invalid_poetry_constraint_is_vs206_at_the_entry(tmp_path):
    text = '[tool.poetry.dependencies]\nrequests = "^two"\n[tool.poetry.group.x.dependencies]\ny = 3\n'
    manifest = read(tmp_path, text)
    assert [(f.code, f.range, f.package) for f in manifest.findings] == [
        ("VS206", range_of(text, 'requests = "^two"'), "requests"), ("VS206", range_of(text, "y = 3"), "y")]
    assert manifest.findings[1].severity is Severity.WARNING
    assert manifest.declarations == []


# -- broken and unreadable files ----------------------------------------------------------------------


def test_broken_toml_is_one_vs206_at_the_reported_position(tmp_path):
    text = '[project]\nname = "x"\ndependencies = [\n  "a",\n  b\n]\n'
    manifest = read(tmp_path, text)
    [finding] = manifest.findings
    assert finding.code == "VS206" and "not valid TOML" in finding.message
    assert "(at line" not in finding.message
    assert finding.range.start == range_of(text, "b\n").start
    assert manifest.declarations == []


def test_unclosed_array_is_reported_at_the_end_of_the_file(tmp_path):
    text = '[project]\ndependencies = [\n  "a",\n'
    [finding] = read(tmp_path, text).findings
    assert finding.range.start == Position(3, 0)


def test_missing_file_is_one_vs206_at_the_start(tmp_path):
    manifest = read_pyproject(tmp_path / "pyproject.toml")
    [finding] = manifest.findings
    assert finding.code == "VS206" and "does not exist" in finding.message
    assert finding.range == Range.of(0, 0, 0)


@pytest.mark.parametrize(("data", "reason"), [(b"\x00\x01binary", "binary"), (b"a = '\xff'", "UTF-8")])
def test_unreadable_file_is_one_vs206_with_the_reason(tmp_path, data, reason):
    path = tmp_path / "pyproject.toml"
    path.write_bytes(data)
    [finding] = read_pyproject(path).findings
    assert reason in finding.message and finding.range.start == Position(0, 0)


def test_editor_text_is_read_instead_of_the_file(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\ndependencies = ["on-disk"]\n', encoding="utf-8")
    manifest = read_pyproject(path, '[project]\ndependencies = ["in-editor"]\n')
    assert [d.name for d in manifest.declarations] == ["in-editor"]


def test_deeply_nested_arrays_do_not_raise(tmp_path):
    manifest = read(tmp_path, "a = " + "[" * 5000 + "]" * 5000 + '\n[project]\ndependencies = ["x"]\n')
    assert manifest.findings or [d.name for d in manifest.declarations] == ["x"]


# -- properties ---------------------------------------------------------------------------------------


def assert_ranges_inside(text: str, manifest: Manifest) -> None:
    lines = text.split("\n")
    ranges = [d.range for d in manifest.declarations] + [f.range for f in manifest.findings]
    if manifest.requires_python:
        ranges.append(manifest.requires_python[2])
    for range_ in ranges:
        assert range_.start <= range_.end
        for position in (range_.start, range_.end):
            assert 0 <= position.line < len(lines)
            assert 0 <= position.column <= len(lines[position.line])


TOMLISH = st.text(alphabet=st.sampled_from(list('[]{}="\'#,.\n\r\t -_^~*|<>=;@:') + list("abcpy0123")),
                  max_size=200)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=300), TOMLISH))
def test_no_text_makes_the_reader_raise_and_ranges_stay_inside(tmp_path, text):
    manifest = read_pyproject(tmp_path / "pyproject.toml", text)
    assert_ranges_inside(text, manifest)


PREFIXES = ["[project]\n", "[tool.poetry.dependencies]\n", "[tool.poetry.group.g.dependencies]\n",
            "[dependency-groups]\n", "[tool.uv]\n", "[project.optional-dependencies]\n", ""]
LINES = ['dependencies = ["a", "b>=1"]\n', 'x = "^1.2 || ^2"\n', 'y = {version = "~1", python = "^3.8"}\n',
         'g = [{include-group = "g"}, "c"]\n', 'dev-dependencies = ["d"]\n', 'requires-python = ">=3"\n',
         'z = [{version = "1"}, {git = "u", develop = true}]\n', "bad = 1\n", 'python = "^3.10"\n',
         'e = ["f", 2]\n', "dependencies = 5\n"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.one_of(st.sampled_from(PREFIXES), st.sampled_from(LINES)), max_size=12))
def test_no_combination_of_sections_makes_the_reader_raise(tmp_path, parts):
    text = "".join(parts)
    manifest = read_pyproject(tmp_path / "pyproject.toml", text)
    assert_ranges_inside(text, manifest)


SAFE = st.characters(blacklist_categories=("Cs", "Cc"))


def basic(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


@st.composite
def written_strings(draw: st.DrawFn) -> tuple[str, str]:
    """A string value and how it is written between its quotes (any of TOML's four kinds)."""
    value = draw(st.text(alphabet=SAFE, max_size=20))
    kinds = ['"', '"""']
    if "'" not in value:
        kinds += ["'", "'''"]
    quote = draw(st.sampled_from(kinds))
    written = basic(value) if quote.startswith('"') else value
    return quote, written


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(written_strings(), max_size=6),
       gaps=st.lists(st.sampled_from([" ", "\n", "  # note, ]\n", "\t"]), min_size=7, max_size=7),
       layout=st.sampled_from(["table", "dotted", "inline"]))
def test_every_entry_range_is_exactly_its_written_content(tmp_path, items, gaps, layout):
    array = "[" + ",".join(f"{gaps[i]}{q}{w}{q}" for i, (q, w) in enumerate(items)) + gaps[-1] + "]"
    text = {"table": f"[other]\nx = 1\n[project]\ndependencies = {array}\n",
            "dotted": f"project.dependencies = {array}\n",
            "inline": f"project = {{ dependencies = {array} }}\n" if "\n" not in array else
                      f"project.dependencies = {array}\n"}[layout]
    manifest = read_pyproject(tmp_path / "pyproject.toml", text)
    ranges = sorted([d.range for d in manifest.declarations] + [f.range for f in manifest.findings],
                    key=lambda r: r.start)
    assert [slice_of(text, r) for r in ranges] == [w for _, w in items]


def test_quotes_just_before_a_multi_line_closing_delimiter_are_content(tmp_path):
    text = '[project]\ndependencies = ["""a; python_version == "3.11""""]\n'
    [declaration] = read(tmp_path, text).declarations
    assert slice_of(text, declaration.range) == 'a; python_version == "3.11"'
    assert declaration.marker == 'python_version == "3.11"'


# --- Hatch's environments ---------------------------------------------------------------------------------


def test_hatch_environments_are_development_sets_of_pyproject_and_hatch_toml(tmp_path):
    from venvsense.declarations.pyproject.hatch import HATCH_TEST_DEFAULTS
    from venvsense.model.scopes import development_only

    text = ('[project]\nname = "p"\nversion = "1"\ndependencies = ["runlib"]\n'
            '[tool.hatch.envs.docs]\ndependencies = [\n  "mkdocs~=1.6",\n]\n'
            '[tool.hatch.envs.types]\nextra-dependencies = ["mypy>=1.0"]\ntemplate = "docs"\n'
            '[tool.hatch.envs.lint.scripts]\nstyle = "ruff check"\n')
    hatch_toml = ('[envs.hatch-test]\nextra-dependencies = [\n  "trustme",\n]\n'
                  '[envs.coverage]\ndetached = true\ndependencies = ["coverage[toml]>=6.2", "lxml"]\n')
    (tmp_path / "hatch.toml").write_text(hatch_toml, encoding="utf-8")
    manifest = read(tmp_path, text)
    assert manifest.findings == [] and manifest.files == [tmp_path / "pyproject.toml", tmp_path / "hatch.toml"]
    found = {(d.name, d.declaration_set, d.file.name) for d in manifest.declarations}
    assert found == {
        ("runlib", "pyproject.toml", "pyproject.toml"),
        ("mkdocs", "hatch env 'docs'", "pyproject.toml"), ("mypy", "hatch env 'types'", "pyproject.toml"),
        ("trustme", "hatch env 'hatch-test'", "hatch.toml"),
        ("coverage", "hatch env 'coverage'", "hatch.toml"), ("lxml", "hatch env 'coverage'", "hatch.toml"),
        # hatch test's own tools, not written anywhere: on the environment's header
        *{(name, HATCH_TEST_DEFAULTS, "hatch.toml") for name in (
            "coverage-enable-subprocess", "coverage", "pytest", "pytest-mock", "pytest-randomly",
            "pytest-rerunfailures", "pytest-xdist")},
    }
    mkdocs = by_name(manifest, "mkdocs")
    assert not mkdocs.primary and mkdocs.group == "hatch:docs" and development_only(mkdocs, tmp_path)
    assert slice_of(text, mkdocs.range) == "mkdocs~=1.6"
    pytest_ = by_name(manifest, "pytest")
    assert slice_of(hatch_toml, pytest_.range) == "[envs.hatch-test]" and development_only(pytest_, tmp_path)


def test_hatch_test_dependencies_replace_hatchs_own_and_bad_entries_are_findings(tmp_path):
    manifest = read(tmp_path, '[tool.hatch.envs.hatch-test]\ndependencies = ["pytest>=8", 3]\n'
                              '[tool.hatch.envs.x]\ndependencies = "pytest"\n[tool.hatch.envs.y]\nfeatures = ["a"]\n')
    assert [(d.name, d.declaration_set) for d in manifest.declarations] == [("pytest", "hatch env 'hatch-test'")]
    assert sorted(f.message for f in manifest.findings) == [
        "entries of tool.hatch.envs.hatch-test.dependencies must be requirement strings, not an integer",
        "tool.hatch.envs.x.dependencies must be an array of requirement strings, not a string"]
    (tmp_path / "hatch.toml").write_text("[envs\n", encoding="utf-8")  # broken: Hatch says so, not us
    assert read(tmp_path, "[project]\nname = 'p'\n").files == [tmp_path / "pyproject.toml"]

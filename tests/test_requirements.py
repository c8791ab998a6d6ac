"""The requirements-file reader: pip's own rules, exact ranges, findings, and parity with pip's parser."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from venvsense.declarations import Declaration, Manifest
from venvsense.declarations.requirements import is_compiled, read_requirements
from venvsense.declarations.requirements.options import _split  # the shlex twin, checked against shlex itself
from venvsense.findings import Severity
from venvsense.manifests import is_requirements_name as is_requirements_file  # the one manifest policy
from venvsense.text import Position, Range


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def read(folder: Path, content: str | bytes, name: str = "requirements.txt", *, primary: bool = True,
         environ: dict[str, str] | None = None) -> Manifest:
    return read_requirements(write(folder, name, content), primary=primary, environ=environ or {})


def span(line: int, start: int, end: int, end_line: int | None = None) -> Range:
    return Range(Position(line, start), Position(line if end_line is None else end_line, end))


def only(manifest: Manifest) -> Declaration:
    assert not manifest.findings, manifest.findings
    assert len(manifest.declarations) == 1, manifest.declarations
    return manifest.declarations[0]


def codes(manifest: Manifest) -> list[str]:
    return [f.code for f in manifest.findings]


def installable(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text("[project]\nname = 'local-pkg'\nversion = '1.0'\n")
    return folder


# --- requirement lines -----------------------------------------------------------------------------------


def test_a_pin_is_a_registry_declaration_covering_its_text(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, "\n  requests==2.31.0   \n"))
    assert (declaration.name, declaration.specifier, declaration.extras, declaration.marker) == (
        "requests", "==2.31.0", (), None)
    assert (declaration.kind, declaration.url, declaration.group, declaration.primary) == (
        "registry", None, "main", True)
    assert declaration.range == span(1, 2, 18)
    assert declaration.requirement == "requests==2.31.0"
    assert declaration.declaration_set == "requirements.txt"
    assert declaration.file == tmp_path / "requirements.txt"
    assert not declaration.transitive


def test_specifier_is_packaging_normal_form(tmp_path: Path) -> None:
    assert only(read(tmp_path, "Django >= 4.2 , < 5\n")).specifier == "<5,>=4.2"


def test_extras_are_sorted_and_marker_is_normalized(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, 'pkg[extra2,extra1]>=1; python_version<"3.12"\n'))
    assert declaration.extras == ("extra1", "extra2")
    assert declaration.specifier == ">=1"
    assert declaration.marker == 'python_version < "3.12"'
    assert declaration.range == span(0, 0, 44)


def test_trailing_comment_is_not_part_of_the_range(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, "flask>=3  # the web framework\n"))
    assert declaration.range == span(0, 0, 8)


def test_comment_lines_and_blank_lines_declare_nothing(tmp_path: Path) -> None:
    manifest = read(tmp_path, "# a comment\n   # indented comment\n\n   \n#flask\n")
    assert manifest.declarations == [] and manifest.findings == []


def test_hash_in_a_url_fragment_is_not_a_comment(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, "https://example.com/pkg-1.0.tar.gz#egg=pkg\n"))
    assert declaration.name == "pkg"
    assert declaration.url == "https://example.com/pkg-1.0.tar.gz#egg=pkg"
    assert declaration.range == span(0, 0, 42)


def test_continued_line_range_spans_from_start_to_end_of_the_requirement(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, "numpy \\\n    >=1.20 \\\n    ,<2\n"))
    assert declaration.specifier == "<2,>=1.20"
    assert declaration.range == span(0, 0, 7, end_line=2)


def test_continuation_into_a_comment_ends_the_requirement(tmp_path: Path) -> None:
    manifest = read(tmp_path, "scipy \\\n# a comment that ends it\nsix\n")
    assert [(d.name, d.range) for d in manifest.declarations] == [("scipy", span(0, 0, 5)), ("six", span(2, 0, 3))]


def test_comment_after_a_continued_line_swallows_the_next_line(tmp_path: Path) -> None:
    # pip joins first, then cuts the comment: "six" ends up inside the comment
    manifest = read(tmp_path, "flask # web \\\nsix\nattrs\n")
    assert [d.name for d in manifest.declarations] == ["flask", "attrs"]


def test_crlf_line_endings_and_a_utf8_bom(tmp_path: Path) -> None:
    manifest = read(tmp_path, "\ufeffrequests==2.0\r\n# c\r\nsix \\\r\n  >=1\r\n".encode())
    assert [(d.name, d.range) for d in manifest.declarations] == [
        ("requests", span(0, 0, 13)), ("six", span(2, 0, 5, end_line=3))]


def test_form_feed_is_a_line_break_for_pip_but_not_for_the_editor(tmp_path: Path) -> None:
    manifest = read(tmp_path, "flask\x0csix\nattrs\n")
    assert [(d.name, d.range) for d in manifest.declarations] == [
        ("flask", span(0, 0, 5)), ("six", span(0, 6, 9)), ("attrs", span(1, 0, 5))]


def test_env_var_is_expanded_and_range_covers_the_reference(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, "${PKG}==${VERSION}\n", environ={"PKG": "numpy", "VERSION": "1.26.4"}))
    assert (declaration.name, declaration.specifier) == ("numpy", "==1.26.4")
    assert declaration.requirement == "numpy==1.26.4"
    assert declaration.range == span(0, 0, 18)


def test_unset_env_var_is_left_as_written(tmp_path: Path) -> None:
    manifest = read(tmp_path, "numpy==${VERSION}\n")
    assert codes(manifest) == ["VS206"]
    assert "${VERSION}" in manifest.findings[0].message


def test_only_upper_case_braced_names_are_env_vars(tmp_path: Path) -> None:
    manifest = read(tmp_path, "pkg==${version}\n", environ={"version": "1.0"})
    assert codes(manifest) == ["VS206"]


def test_hash_options_are_outside_the_requirement_range(tmp_path: Path) -> None:
    text = "six==1.16.0 \\\n    --hash=sha256:aaaa \\\n    --hash=sha256:bbbb\n"
    declaration = only(read(tmp_path, text))
    assert declaration.range == span(0, 0, 11)
    assert declaration.requirement == "six==1.16.0"


def test_config_settings_belong_to_the_requirement(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, "pkg --config-settings=editable_mode=compat -C key=value\n"))
    assert declaration.range == span(0, 0, 3)


def test_option_lines_declare_nothing(tmp_path: Path) -> None:
    text = ("--pre\n--no-binary :all:\n--only-binary=numpy\n--prefer-binary\n--require-hashes\n"
            "--use-feature=truststore\n")
    manifest = read(tmp_path, text)
    assert manifest.declarations == [] and manifest.findings == [] and manifest.index_options == []


def test_index_options_are_vs208_with_long_names(tmp_path: Path) -> None:
    text = ("-i https://a/simple\n--extra-index-url=https://b/simple\n-f ./wheels\n--find-links https://c/\n"
            "--trusted-host b\n--no-index\n--pypi-url https://d/simple\n")
    manifest = read(tmp_path, text)
    assert [(o.option, o.value, o.range) for o in manifest.index_options] == [
        ("--index-url", "https://a/simple", span(0, 0, 19)),
        ("--extra-index-url", "https://b/simple", span(1, 0, 34)),
        ("--find-links", "./wheels", span(2, 0, 11)),
        ("--find-links", "https://c/", span(3, 0, 23)),
        ("--trusted-host", "b", span(4, 0, 16)),
        ("--no-index", "", span(5, 0, 10)),
        ("--index-url", "https://d/simple", span(6, 0, 27)),
    ]
    assert codes(manifest) == ["VS208"] * 7
    assert manifest.findings[0].message == "--index-url https://a/simple changes where packages come from"
    assert manifest.findings[0].severity == Severity.INFORMATION


def test_abbreviated_long_option_is_read_as_pip_reads_it(tmp_path: Path) -> None:
    manifest = read(tmp_path, "--extra-index https://b/simple\n")
    assert [(o.option, o.value) for o in manifest.index_options] == [("--extra-index-url", "https://b/simple")]


# --- editables, URLs and paths ---------------------------------------------------------------------------


def test_editable_local_folder(tmp_path: Path) -> None:
    installable(tmp_path / "pkg")
    declaration = only(read(tmp_path, "-e ./pkg\n"))
    assert (declaration.kind, declaration.name, declaration.url, declaration.extras) == ("editable", "", "./pkg", ())
    assert declaration.range == span(0, 3, 8)


def test_editable_folder_with_extras(tmp_path: Path) -> None:
    installable(tmp_path)
    declaration = only(read(tmp_path, "--editable=.[test,dev]\n"))
    assert (declaration.kind, declaration.url, declaration.extras) == ("editable", ".", ("dev", "test"))
    assert declaration.range == span(0, 11, 22)


def test_editable_in_requirements_folder_finds_the_project_above(tmp_path: Path) -> None:
    installable(tmp_path)
    manifest = read(tmp_path, ".[dev]\n", name="requirements/dev.txt")
    assert [(d.kind, d.url, d.extras) for d in manifest.declarations] == [("path", ".", ("dev",))]


def test_editable_vcs_url_takes_its_name_from_egg(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, "-e git+https://github.com/org/repo.git@v1#egg=repo_pkg\n"))
    assert (declaration.kind, declaration.name) == ("editable", "repo_pkg")
    assert declaration.url == "git+https://github.com/org/repo.git@v1#egg=repo_pkg"


def test_editable_vcs_url_without_a_name_is_invalid(tmp_path: Path) -> None:
    manifest = read(tmp_path, "-e git+https://github.com/org/repo.git\n")
    assert codes(manifest) == ["VS206"]
    assert manifest.findings[0].range == span(0, 3, 38)


def test_editable_named_url_must_be_quoted_or_without_spaces(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, '-e "repo[x] @ git+https://github.com/org/repo.git"\n'))
    assert (declaration.kind, declaration.name, declaration.extras) == ("editable", "repo", ("x",))


def test_missing_editable_folder_is_invalid(tmp_path: Path) -> None:
    assert codes(read(tmp_path, "-e ./nowhere\n")) == ["VS206"]


def test_sdist_url_takes_its_name_from_the_file_name(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, "https://example.com/dist/My_Pkg-1.0.tar.gz\n"))
    assert (declaration.kind, declaration.name, declaration.specifier) == ("url", "My_Pkg", "")


def test_wheel_url_is_pinned_to_its_version(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, "https://example.com/whl_pkg-2.0-py3-none-any.whl\n"))
    assert (declaration.kind, declaration.name, declaration.specifier) == ("url", "whl_pkg", "==2.0")


def test_name_at_url_with_marker(tmp_path: Path) -> None:
    declaration = only(read(tmp_path, 'pkg @ https://example.com/x.zip ; python_version > "3"\n'))
    assert (declaration.kind, declaration.name, declaration.url) == ("url", "pkg", "https://example.com/x.zip")
    assert declaration.marker == 'python_version > "3"'


def test_local_wheel_path(tmp_path: Path) -> None:
    write(tmp_path, "dist/local_pkg-1.0-py3-none-any.whl", b"PK")
    declaration = only(read(tmp_path, "./dist/local_pkg-1.0-py3-none-any.whl\n"))
    assert (declaration.kind, declaration.name, declaration.specifier) == ("path", "local_pkg", "==1.0")
    assert declaration.url == "./dist/local_pkg-1.0-py3-none-any.whl"


def test_local_project_folder(tmp_path: Path) -> None:
    installable(tmp_path / "sub")
    declaration = only(read(tmp_path, "./sub[extra]\n"))
    assert (declaration.kind, declaration.url, declaration.extras, declaration.name) == (
        "path", "./sub", ("extra",), "")


def test_folder_that_is_not_a_project_is_invalid(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    manifest = read(tmp_path, "./docs\n")
    assert codes(manifest) == ["VS206"]
    assert "not installable" in manifest.findings[0].message


# --- findings ---------------------------------------------------------------------------------------------


def test_invalid_requirement_message_comes_from_packaging(tmp_path: Path) -> None:
    manifest = read(tmp_path, "ok\nfoo bar  # nope\n")
    assert codes(manifest) == ["VS206"]
    finding = manifest.findings[0]
    assert finding.range == span(1, 0, 7)
    assert finding.message.startswith("invalid requirement 'foo bar': Expected semicolon")
    assert finding.package == "foo"
    assert finding.severity == Severity.ERROR
    assert [d.name for d in manifest.declarations] == ["ok"]


def test_single_equals_gets_a_hint(tmp_path: Path) -> None:
    manifest = read(tmp_path, "foo=1.0\n")
    assert "did you mean ==" in manifest.findings[0].message


def test_invalid_marker_is_invalid(tmp_path: Path) -> None:
    manifest = read(tmp_path, 'foo; python_version <<< "3"\n')
    assert codes(manifest) == ["VS206"]
    assert manifest.findings[0].range == span(0, 0, 27)


def test_unknown_option_is_reported_at_the_option(tmp_path: Path) -> None:
    manifest = read(tmp_path, "--foo\nbar --baz=1\n")
    assert [(f.code, f.message, f.range) for f in manifest.findings] == [
        ("VS206", "unknown option --foo", span(0, 0, 5)),
        ("VS206", "unknown option --baz", span(1, 4, 11)),
    ]
    assert [d.name for d in manifest.declarations] == ["bar"]


def test_global_option_is_reported_as_removed_from_pip(tmp_path: Path) -> None:
    manifest = read(tmp_path, "pkg --global-option=--no-user-cfg\n")
    assert codes(manifest) == ["VS206"]
    assert "removed" in manifest.findings[0].message
    assert manifest.findings[0].range == span(0, 4, 33)


def test_weak_hash_algorithm_is_invalid(tmp_path: Path) -> None:
    manifest = read(tmp_path, "pkg --hash=md5:abcd\n")
    assert codes(manifest) == ["VS206"]
    assert manifest.findings[0].range == span(0, 4, 19)


def test_option_missing_its_value_is_invalid(tmp_path: Path) -> None:
    manifest = read(tmp_path, "--index-url\n")
    assert [(f.code, f.message) for f in manifest.findings] == [("VS206", "--index-url option requires 1 argument")]


def test_ambiguous_abbreviation_is_invalid(tmp_path: Path) -> None:
    assert "ambiguous option --no" in read(tmp_path, "--no\n").findings[0].message


def test_findings_of_a_secondary_file_are_a_level_lower(tmp_path: Path) -> None:
    manifest = read(tmp_path, "foo bar\n-i https://x/simple\n", name="requirements-dev.txt", primary=False)
    assert [f.severity for f in manifest.findings] == [Severity.WARNING, Severity.HINT]
    assert {f.declaration_set for f in manifest.findings} == {"requirements-dev.txt"}


def test_declared_in_can_be_given(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "six\n")
    manifest = read_requirements(path, primary=True, declaration_set="main requirements", environ={})
    assert manifest.declarations[0].declaration_set == "main requirements"


# --- includes and constraints ----------------------------------------------------------------------------


def test_includes_are_followed_relative_to_the_including_file(tmp_path: Path) -> None:
    write(tmp_path, "requirements/base.txt", "six\n-r more/extra.txt\n")
    write(tmp_path, "requirements/more/extra.txt", "attrs\n")
    manifest = read(tmp_path, "flask\n-r requirements/base.txt\nclick\n")
    assert [(d.name, d.declaration_set, d.file.name) for d in manifest.declarations] == [
        ("flask", "requirements.txt", "requirements.txt"),
        ("six", "base.txt", "base.txt"),
        ("attrs", "extra.txt", "extra.txt"),
        ("click", "requirements.txt", "requirements.txt"),
    ]
    assert manifest.files == [tmp_path / "requirements.txt", tmp_path / "requirements/base.txt",
                              tmp_path / "requirements/more/extra.txt"]
    assert not manifest.findings


def test_included_declarations_inherit_primary(tmp_path: Path) -> None:
    write(tmp_path, "base.txt", "six\n")
    manifest = read(tmp_path, "-r base.txt\n", name="requirements-dev.txt", primary=False)
    assert [d.primary for d in manifest.declarations] == [False]


def test_constraints_are_not_declarations(tmp_path: Path) -> None:
    write(tmp_path, "constraints.txt", "six==1.16\nurllib3<2\n")
    manifest = read(tmp_path, "--constraint constraints.txt\nrequests\n")
    assert [d.name for d in manifest.declarations] == ["requests"]
    assert [(c.name, c.specifier, c.group, c.range) for c in manifest.constraints] == [
        ("six", "==1.16", "main", span(0, 0, 9)), ("urllib3", "<2", "main", span(1, 0, 9))]


def test_requirement_include_inside_constraints_declares(tmp_path: Path) -> None:
    # pip's rule: -r in a constraints file includes requirements, not constraints
    write(tmp_path, "constraints.txt", "six==1.16\n-r more.txt\n")
    write(tmp_path, "more.txt", "attrs\n")
    manifest = read(tmp_path, "-c constraints.txt\n")
    assert [d.name for d in manifest.declarations] == ["attrs"]
    assert [c.name for c in manifest.constraints] == ["six"]


def test_editable_in_a_constraints_file_is_invalid(tmp_path: Path) -> None:
    installable(tmp_path / "pkg")
    write(tmp_path, "constraints.txt", "-e ./pkg\n")
    manifest = read(tmp_path, "-c constraints.txt\n")
    assert codes(manifest) == ["VS206"] and manifest.findings[0].file == tmp_path / "constraints.txt"


def test_missing_include_is_vs207_at_the_target(tmp_path: Path) -> None:
    manifest = read(tmp_path, "six\n-r  missing.txt  # gone\n")
    assert [(f.code, f.range) for f in manifest.findings] == [("VS207", span(1, 4, 15))]
    assert "missing.txt does not exist" in manifest.findings[0].message
    assert manifest.files == [tmp_path / "requirements.txt"]


def test_binary_include_is_vs207(tmp_path: Path) -> None:
    write(tmp_path, "blob.txt", b"\x00\x01\x02binary")
    manifest = read(tmp_path, "-r blob.txt\n")
    assert [(f.code, f.range) for f in manifest.findings] == [("VS207", span(0, 3, 11))]
    assert "binary" in manifest.findings[0].message


def test_undecodable_include_is_vs207(tmp_path: Path) -> None:
    write(tmp_path, "latin.txt", "caf\xe9\n".encode("latin-1"))
    assert codes(read(tmp_path, "-c latin.txt\n")) == ["VS207"]


def test_include_cycle_is_vs207_at_the_closing_include_and_ends(tmp_path: Path) -> None:
    write(tmp_path, "b.txt", "six\n-r requirements.txt\n")
    manifest = read(tmp_path, "attrs\n-r b.txt\n")
    assert [d.name for d in manifest.declarations] == ["attrs", "six"]
    assert [(f.code, f.file.name, f.range) for f in manifest.findings] == [("VS207", "b.txt", span(1, 3, 19))]
    assert "cycle" in manifest.findings[0].message


def test_file_including_itself_is_a_cycle(tmp_path: Path) -> None:
    manifest = read(tmp_path, "-r ./requirements.txt\n")
    assert codes(manifest) == ["VS207"]


def test_file_included_twice_is_read_once(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "-r common.txt\n")
    write(tmp_path, "b.txt", "-r common.txt\n")
    write(tmp_path, "common.txt", "six\n")
    manifest = read(tmp_path, "-r a.txt\n-r b.txt\n")
    assert [d.name for d in manifest.declarations] == ["six"] and not manifest.findings


def test_editor_buffers_are_read_instead_of_the_disk(tmp_path: Path) -> None:
    main = write(tmp_path, "requirements.txt", "old\n")
    other = tmp_path / "unsaved.txt"
    overrides = {main: "new\n-r unsaved.txt\n", other: "fresh\n"}
    manifest = read_requirements(main, primary=True, overrides=overrides, environ={})
    assert [d.name for d in manifest.declarations] == ["new", "fresh"]


@pytest.mark.parametrize(("content", "reason"), [
    (None, "does not exist"),
    (b"\x00\x00binary", "binary"),
    (b"caf\xe9\n", "not valid UTF-8"),
])
def test_unreadable_file_is_one_vs206_at_the_start(tmp_path: Path, content: bytes | None, reason: str) -> None:
    path = tmp_path / "requirements.txt"
    if content is not None:
        path.write_bytes(content)
    manifest = read_requirements(path, primary=True)
    assert [(f.code, f.range) for f in manifest.findings] == [("VS206", span(0, 0, 0))]
    assert reason in manifest.findings[0].message
    assert manifest.declarations == []


def test_utf16_file_with_a_bom_is_read_as_pip_reads_it(tmp_path: Path) -> None:
    manifest = read(tmp_path, "\ufeffsix==1.0\n".encode("utf-16-le"))
    assert [d.name for d in manifest.declarations] == ["six"]


# --- compiled lock files ---------------------------------------------------------------------------------

PIP_COMPILE = """\
#
# This file is autogenerated by pip-compile with Python 3.11
# by the following command:
#
#    pip-compile --generate-hashes requirements.in
#
asgiref==3.7.2 \\
    --hash=sha256:aaaa
    # via django
django==4.2.7 \\
    --hash=sha256:bbbb
    # via -r requirements.in
sqlparse==0.4.4
    # via
    #   django
    #   -r requirements.in
typing-extensions==4.8.0
    # via
    #   asgiref
    #   django
mypkg-dep==1.0
    # via my-project (pyproject.toml)
"""


def test_pip_compile_output_is_compiled() -> None:
    assert is_compiled(PIP_COMPILE)
    assert is_compiled("# This file was autogenerated by uv via the following command:\nsix==1\n")
    assert is_compiled("six==1.16\n    # via attrs\n")
    assert not is_compiled("six==1.16\nattrs  # pinned\n")


def test_compiled_entries_via_only_packages_are_transitive(tmp_path: Path) -> None:
    manifest = read(tmp_path, PIP_COMPILE)
    assert [(d.name, d.transitive) for d in manifest.declarations] == [
        ("asgiref", True), ("django", False), ("sqlparse", False), ("typing-extensions", True),
        ("mypkg-dep", False)]


def test_uv_line_annotations_mark_transitive_entries(tmp_path: Path) -> None:
    text = ("# This file was autogenerated by uv via the following command:\n"
            "anyio==4.0.0  # via httpx, starlette\nhttpx==0.27  # via -r requirements.in\nsix==1.16\n")
    manifest = read(tmp_path, text)
    assert [(d.name, d.transitive) for d in manifest.declarations] == [
        ("anyio", True), ("httpx", False), ("six", False)]


def test_via_comments_do_not_make_a_hand_written_file_transitive(tmp_path: Path) -> None:
    manifest = read(tmp_path, "-c constraints.txt\n")
    assert manifest.declarations == []
    write(tmp_path, "constraints.txt", "six==1.16\n    # via attrs\n")
    manifest = read(tmp_path, "-c constraints.txt\n")
    assert [c.transitive for c in manifest.constraints] == [False]


# --- naming rule ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("relative", "expected"), [
    ("requirements.txt", True), ("requirements-dev.txt", True), ("dev-requirements.txt", True),
    ("test_requirements.in", True), ("requirements/base.txt", True), ("deps/requirements/ci/lint.in", True),
    ("requirements/readme.md", False), ("notes.txt", False), ("requirements.cfg", False),
    ("docs/reqs.txt", False),
])
def test_requirements_file_naming_rule(tmp_path: Path, relative: str, expected: bool) -> None:
    assert is_requirements_file(tmp_path / relative, tmp_path) is expected


# --- speed ----------------------------------------------------------------------------------------------


def test_ten_megabyte_lock_file_is_read_whole(tmp_path: Path) -> None:
    entry = "package-{i}=={i}.0.1 \\\n" + " \\\n".join(f"    --hash=sha256:{n:064x}" for n in range(8)) + \
        "\n    # via\n    #   other-{i}\n    #   -r requirements.in\n"
    text = "# This file is autogenerated by pip-compile\n" + "".join(entry.format(i=i) for i in range(13500))
    assert len(text) > 10_000_000
    path = write(tmp_path, "requirements.txt", text)
    manifest = read_requirements(path, primary=True, environ={})
    # (its speed is a benchmark's business, not a unit test's: no wall-clock assertion here)
    assert len(manifest.declarations) == 13500 and not manifest.findings


# --- totality (hypothesis) ------------------------------------------------------------------------------

_EDITOR_LINES = re.compile(r"\r\n|\r|\n")
_TRICKY = st.sampled_from([
    *"ab1-=<>[];#\\ \t\n\r\"'${}@/.:,~!*", "\x0c", "\x0b", "\x85", "\u2028", "é",
    "-r ", "-e ", "-c ", "--hash=", "${A}", " #", "--index-url ", "git+",
    "https://", "file:", ".whl", ".tar.gz", "#egg=", " ; python_version", "\\\n", "\r\n",
])


def _within(text: str, range_: Range) -> bool:
    lines = _EDITOR_LINES.split(text)
    for position in (range_.start, range_.end):
        if not (0 <= position.line < len(lines) and 0 <= position.column <= len(lines[position.line])):
            return False
    return range_.start <= range_.end


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.lists(_TRICKY, max_size=40).map("".join), st.text(max_size=80)))
def test_any_text_is_read_without_raising_and_ranges_stay_in_the_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "requirements.txt"
    manifest = read_requirements(path, primary=True, overrides={path: text}, environ={"A": "x y -z"})
    ranges = [(d.file, d.range) for d in [*manifest.declarations, *manifest.constraints]]
    ranges += [(o.file, o.range) for o in manifest.index_options]
    for file, range_ in ranges:
        if file == path:
            assert _within(text, range_), (range_, text)
    for finding in manifest.findings:
        if finding.file == path:
            assert _within(text, finding.range), (finding, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=120))
def test_any_bytes_on_disk_are_read_without_raising(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(data)
    manifest = read_requirements(path, primary=True, environ={})
    assert manifest.files[0] == path


@settings(max_examples=500, deadline=None)
@given(text=st.text(st.sampled_from([*"ab -\\\"' \t=", "\n"]), max_size=30))
def test_option_splitting_matches_shlex(text: str) -> None:
    try:
        expected = shlex.split(text)
    except ValueError:
        with pytest.raises(ValueError):
            _split(text)
        return
    tokens = _split(text)
    assert [value for value, _, _ in tokens] == expected
    for value, start, end in tokens:
        assert shlex.split(text[start:end]) == [value]


# --- parity with pip's own parser ----------------------------------------------------------------------

pip_req_file = pytest.importorskip("pip._internal.req.req_file")
pip_constructors = pytest.importorskip("pip._internal.req.constructors")
pip_session = pytest.importorskip("pip._internal.network.session")

Entry = tuple[str, str, tuple[str, ...], "str | None", bool, "str | None"]


def _pip_entries(path: Path) -> tuple[list[Entry], list[Entry]]:
    """(requirements, constraints) as pip sees them: name, specifier, extras, marker, editable, url."""
    requirements: list[Entry] = []
    constraints: list[Entry] = []
    session = pip_session.PipSession()
    seen: set[tuple[str, str]] = set()
    for parsed in pip_req_file.parse_requirements(str(path), session=session):
        if (parsed.line_source or "", parsed.requirement) in seen:
            continue  # pip reads a file included twice twice; venvsense once
        seen.add((parsed.line_source or "", parsed.requirement))
        ireq = pip_constructors.install_req_from_parsed_requirement(parsed)
        req = ireq.req
        url = ireq.link.url if ireq.link is not None and not ireq.link.url.startswith("file:") else None
        entry: Entry = (
            canonicalize_name(req.name) if req is not None else "",
            str(req.specifier) if req is not None else "",
            tuple(sorted(ireq.extras)),
            str(ireq.markers) if ireq.markers is not None else None,
            ireq.editable,
            url,
        )
        (constraints if parsed.constraint else requirements).append(entry)
    return requirements, constraints


def _our_entry(declaration: Declaration) -> Entry:
    url = declaration.url if declaration.kind in ("url", "editable") and declaration.url and \
        not declaration.url.startswith(("file:", ".", "/")) and "://" in declaration.url else None
    name = declaration.normalized
    named = re.match(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@", declaration.requirement)
    if declaration.kind in ("url", "path") and not declaration.specifier and not named \
            and "#egg=" not in (declaration.url or ""):
        name = ""  # venvsense names an sdist from its file name where pip leaves it unnamed
    return (name, declaration.specifier, declaration.extras, declaration.marker, declaration.kind == "editable", url)


def _ours(path: Path) -> tuple[list[Entry], list[Entry], Manifest]:
    manifest = read_requirements(path, primary=True, environ=os.environ)
    return ([_our_entry(d) for d in manifest.declarations], [_our_entry(c) for c in manifest.constraints],
            manifest)


PARITY_FILES: dict[str, str] = {
    "pins and spacing": "requests==2.31.0\n  Django >= 4.2 , < 5\nattrs\n",
    "extras and markers": 'pkg[extra2,extra1]>=1; python_version<"3.12"\nfoo;python_version>="3.8"\n'
                          "bar [x] ~= 1.4 ; sys_platform == 'linux'\n",
    "comments": "flask  # web\n# full line\n   # indented\nclick\t# after a tab\n",
    "url with egg fragment": "https://example.com/pkg-1.0.tar.gz#egg=pkg\n",
    "continuations": "numpy \\\n  >=1.20 \\\n  ,<2\nscipy \\\n# ends here\nsix\n",
    "env vars": "${PARITY_PKG}==${PARITY_VERSION}\nattrs \\\n  ==${PARITY_VERSION}\n",
    "hashes": "six==1.16.0 --hash=sha256:aaaa \\\n    --hash=sha256:bbbb\nattrs==23.1 \\\n  --hash=sha384:cccc\n",
    "config settings": "pkg --config-settings=editable_mode=compat\nother -C a=b\n",
    "editables": "-e ./localpkg\n-e ./localpkg[test]\n--editable=git+https://github.com/x/y.git#egg=y\n"
                 "-e 'z[extra] @ git+https://github.com/x/z.git'\n-e w@git+https://github.com/x/w.git\n",
    "remote archives": "https://example.com/dist/pkg-1.0.tar.gz\nhttps://example.com/whl_pkg-2.0-py3-none-any.whl\n"
                       'name @ https://example.com/x.zip\nother @ https://example.com/y.zip ; python_version > "3"\n',
    "local paths": "./dist/local_pkg-1.0-py3-none-any.whl\n./localpkg\n./localpkg[a,b]\n",
    "includes": "-r sub/base.txt\n--requirement=sub/base2.txt\n-rsub/base3.txt\nflask\n",
    "constraints": "-c sub/constraints.txt\nrequests\n",
    "option lines": "--index-url https://x/simple\n--pre\n-f ./wheels\n--no-binary :all:\n--extra-index https://y\n"
                    "--trusted-host y\n--only-binary=numpy\nsix\n",
    "crlf and bom": "\ufeffrequests==2.0\r\n# c\r\nsix \\\r\n  >=1\r\n",
    "tabs and odd spacing": "foo\t>=1\nbar ;\tpython_version > '3'\n  baz   \n",
    "requirement with ignored options": "pkg -r sub/base.txt --index-url https://z\n",
}


@pytest.fixture
def parity_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder laid out for the parity files, and the current directory (pip resolves paths against it)."""
    installable(tmp_path / "localpkg")
    write(tmp_path, "dist/local_pkg-1.0-py3-none-any.whl", b"PK")
    (tmp_path / "wheels").mkdir()
    write(tmp_path, "sub/base.txt", "six\n-r nested/more.txt\n")
    write(tmp_path, "sub/nested/more.txt", "attrs>=22\n")
    write(tmp_path, "sub/base2.txt", "click\n")
    write(tmp_path, "sub/base3.txt", "rich\n")
    write(tmp_path, "sub/constraints.txt", "requests<3\nurllib3==1.26.18\n-r base2.txt\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARITY_PKG", "numpy")
    monkeypatch.setenv("PARITY_VERSION", "1.26.4")
    monkeypatch.delenv("PARITY_UNSET", raising=False)
    return tmp_path


@pytest.mark.parametrize("case", sorted(PARITY_FILES))
def test_declarations_match_pips_parser(parity_project: Path, case: str) -> None:
    path = write(parity_project, "requirements.txt", PARITY_FILES[case])
    pip_requirements, pip_constraints = _pip_entries(path)
    our_requirements, our_constraints, manifest = _ours(path)
    assert [f for f in manifest.findings if f.code != "VS208"] == []
    assert our_requirements == pip_requirements
    assert our_constraints == pip_constraints


PARITY_LINES: dict[str, bool] = {  # a one-line file → whether pip rejects it
    "foo": False,
    "foo bar": True,
    "foo=1.0": True,
    "foo==": True,
    "--bogus": True,
    "-x value": True,
    "--no": True,
    "--pre": False,
    "--pre=1": True,
    "--index-url": True,
    "--extra-index https://x/simple": False,
    "-i https://x/simple": False,
    "foo --hash=sha256:abcd": False,
    "foo --hash=md5:abcd": True,
    "foo --hash=abcd": True,
    "foo -C nokey": True,
    "foo --global-option=--x": True,
    'foo; python_version <<< "3"': True,
    "foo;": False,
    "-e git+https://github.com/x/y.git": True,
    "-e git+https://github.com/x/y.git#egg=y": False,
    "-e ./does-not-exist": True,
    "-e ./localpkg": False,
    "./does-not-exist": True,
    "./emptydir": True,
    "./dist/bad.whl": True,
    "./dist/local_pkg-1.0-py3-none-any.whl": False,
    "https://x/p.tar.gz#egg=p[x]": True,
    '-r "unterminated': True,
    "--no-binary -x": True,
    "foo -- --bogus": False,
    "foo --": False,
    "pkg @ https://x/p.zip": False,
    "--pre stray words": False,
    "-e": True,
    "click#not-a-comment": True,
    "attrs${PARITY_UNSET}": True,
    "-e z[extra] @ git+https://github.com/x/z.git": True,
}


@pytest.mark.parametrize("line", sorted(PARITY_LINES))
def test_lines_pip_rejects_are_the_lines_reported_invalid(parity_project: Path, line: str) -> None:
    (parity_project / "emptydir").mkdir(exist_ok=True)
    path = write(parity_project, "requirements.txt", line + "\n")
    try:
        _pip_entries(path)
        pip_rejects = False
    except Exception:
        pip_rejects = True
    assert pip_rejects is PARITY_LINES[line], "the table is out of date with pip"
    manifest = read_requirements(path, primary=True, environ=os.environ)
    assert ("VS206" in codes(manifest)) is pip_rejects, manifest.findings

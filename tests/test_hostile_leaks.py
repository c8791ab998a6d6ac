"""Hostile workspaces (issue 12, item 1): a requirements file that includes or links to a file outside the
workspace never makes venvsense show what that file says — not a line, not a package name read from it; an
untrusted workspace does not even read it. Every quoted line is capped at 80 characters."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.projects import findings, write
from venvsense.check import check_project
from venvsense.config import Settings
from venvsense.model import project_at

SECRET = "pypi-AgEIcHlwaS5vcmcCJGQ0ZjA1"
# a line that is a valid requirement name: it would be a package "not installed" if its name were shown
SECRET_NAME = "ghp0123456789abcdefSECRETNAME"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """``tmp/ws`` (the workspace, a project with a venv) whose requirements reach ``tmp/secret`` three ways:
    ``-r ../secret/.pypirc``, ``-r /abs/path``, and a requirements file that is a link to a secret file."""
    secret = write(tmp_path / "secret", {
        ".pypirc": f"[pypi]\nusername = __token__\npassword = {SECRET}\n",
        "tokens.txt": f"{SECRET_NAME}\n{SECRET}\n",
        "nested.txt": f"-r tokens.txt\n{SECRET} = 1\n",
    })
    root = write(tmp_path / "ws", {
        "requirements.txt": f"-r ../secret/.pypirc\n-r {secret / 'nested.txt'}\n" + "x" * 200 + " = 1\n",
    })
    os.symlink(secret / "tokens.txt", root / "requirements-x.txt")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    return root


def _all_text(found: list[dict[str, object]]) -> str:
    return "\n".join(str(f) for f in found)


def test_the_cli_never_shows_what_a_file_outside_the_workspace_says(hostile: Path) -> None:
    found = findings(hostile)
    text = _all_text(found)
    assert SECRET not in text and SECRET_NAME not in text and "__token__" not in text
    assert "pypi-" not in text
    # nothing is reported in a file outside the workspace: each outside file is one finding where it was reached
    # (requirements-x.txt, a link leading out of the project, is no manifest of it: tests/test_walk.py)
    assert {f["file"] for f in found} == {"requirements.txt"}
    includes = sorted((f["range"]["start"]["line"], f["code"], f["message"]) for f in found  # type: ignore[index]
                      if f["file"] == "requirements.txt" and f["code"] == "VS207")
    assert [(line, code) for line, code, _ in includes] == [(1, "VS207"), (2, "VS207")]
    assert "3 findings are not shown" in includes[0][2]  # .pypirc: three lines that are not requirements
    # nested.txt's own invalid line, and tokens.txt (included by it): an invalid line and a package not installed
    assert "3 findings are not shown" in includes[1][2]
    # the workspace's own invalid line is quoted, capped at 80 characters
    own = next(f for f in found if f["file"] == "requirements.txt" and f["code"] == "VS206")
    quoted = str(own["message"]).split("'")[1]
    assert len(quoted) == 80 and quoted.endswith("…")


def test_the_cli_text_output_shows_no_outside_content(hostile: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ["VENVSENSE_CACHE_DIR"] = ""
    result = subprocess.run([sys.executable, "-m", "venvsense", "check", "."], capture_output=True, text=True,
                            env=environ, check=False, cwd=hostile)
    assert result.returncode == 1, result.stderr
    assert SECRET not in result.stdout + result.stderr and SECRET_NAME not in result.stdout
    assert "secret" not in result.stdout.replace("../secret/.pypirc", "")  # only the include as written
    located = re.findall(r"(\S+):\d+:\d+:", result.stdout)
    assert located and set(located) == {"requirements.txt"}, result.stdout


def test_a_folder_named_on_the_command_line_is_the_workspace(hostile: Path) -> None:
    """Checking the parent folder makes the secret folder part of the workspace: then its findings are its own."""
    found = findings(hostile.parent)
    assert any(str(f["file"]) == "../secret/.pypirc" and SECRET in str(f["message"]) for f in found)


def test_an_untrusted_workspace_does_not_read_a_file_outside_it(hostile: Path) -> None:
    report = check_project(project_at(hostile), Settings(trusted=False))
    secret = hostile.parent / "secret"
    assert not any(path.resolve().is_relative_to(secret) for path in report.files)
    assert not any(d.file.resolve().is_relative_to(secret) for d in report.declarations)
    messages = {(f.file.name, f.range.start.line, f.code): f.message for f in report.findings}
    assert "not read, it is outside the workspace" in messages[("requirements.txt", 0, "VS207")]
    assert "not read, it is outside the workspace" in messages[("requirements.txt", 1, "VS207")]
    assert not any(f.file.name == "requirements-x.txt" for f in report.findings)  # a link out: no manifest


def test_a_trusted_check_still_reads_declarations_outside_the_workspace(hostile: Path) -> None:
    """Trusted: an include outside the workspace is followed (a monorepo's shared file), only never shown."""
    report = check_project(project_at(hostile))
    assert SECRET_NAME.lower() in {d.normalized for d in report.declarations}
    assert SECRET not in _all_text([{"m": f.message} for f in report.findings])
    assert SECRET_NAME not in " ".join(f.message + str(f.package) for f in report.findings)


def test_a_file_read_by_setup_cfg_or_pyproject_outside_the_workspace_is_not_shown(tmp_path: Path) -> None:
    write(tmp_path, {"secret.txt": f"password = {SECRET}\n{SECRET_NAME}\n"})
    cfg = write(tmp_path / "cfg", {"setup.cfg": "[options]\ninstall_requires = file: ../secret.txt\n"})
    dynamic = write(tmp_path / "dyn", {"pyproject.toml": (
        '[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n'
        '[tool.setuptools.dynamic]\ndependencies = {file = ["../secret.txt"]}\n')})
    for root, manifest in ((cfg, "setup.cfg"), (dynamic, "pyproject.toml")):
        found = findings(root)
        assert SECRET not in _all_text(found)
        assert [(f["file"], f["code"]) for f in found if f["code"] == "VS207"] == [(manifest, "VS207")]
        assert "2 findings are not shown" in next(str(f["message"]) for f in found if f["code"] == "VS207")
        # untrusted, the file is not read at all: nothing is declared from it
        untrusted = check_project(project_at(root), Settings(trusted=False))
        assert SECRET_NAME.lower() not in {d.normalized for d in untrusted.declarations}
        assert SECRET not in " ".join(f.message for f in untrusted.findings)


def test_an_untrusted_workspace_does_not_read_through_a_configured_glob_leading_out(tmp_path: Path) -> None:
    secret = write(tmp_path / "secret", {"a.txt": f"{SECRET_NAME}\n", "b.txt": f"password = {SECRET}\n"})
    globs = '[tool.venvsense]\nrequirements = ["linked/*.txt", "deps-*.txt"]\n'
    root = write(tmp_path / "ws", {"pyproject.toml": globs})
    os.symlink(secret, root / "linked")
    os.symlink(secret / "a.txt", root / "deps-a.txt")
    os.symlink(secret / "b.txt", root / "deps-b.txt")
    report = check_project(project_at(root), Settings(trusted=False))
    assert not report.declarations
    assert not any(path.resolve().is_relative_to(secret.resolve()) for path in report.files)
    assert SECRET not in " ".join(f.message for f in report.findings)


def test_every_quoted_line_is_cut_at_80_characters(tmp_path: Path) -> None:
    long = "y" * 5000
    root = write(tmp_path / "p", {
        "pyproject.toml": f'[project]\nname = "x"\nversion = "1"\ndependencies = ["{long} = 1"]\n',
        "requirements.txt": f"{long} = 1\n-r {long}.txt\n--index-url http://{long}\n",
        "setup.cfg": f"[options]\npython_requires = {long}\n",
    })
    found = findings(root)
    assert len(found) >= 4
    for finding in found:
        assert long[:81] not in str(finding["message"]), finding


def test_the_quote_cap_cuts_a_quoted_text_not_the_words_between_two() -> None:
    from venvsense.check import cap_quotes
    from venvsense.findings import make
    from venvsense.text import START, Range

    between = ("'numpy' is imported but not declared (no declaration of this project provides it; probably "
               "provided by 'numpy' — a guess from the name)")
    long_line = "x" * 200
    found = cap_quotes([make("VS302", between, Path("a.py"), Range(START, START)),
                        make("VS206", f"invalid requirement '{long_line}'", Path("r.txt"), Range(START, START))])
    assert found[0].message == between
    assert found[1].message == f"invalid requirement '{'x' * 79}…'"

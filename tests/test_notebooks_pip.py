"""VS305 installed-from-notebook (issue "Every Python file has an environment", notebooks): a notebook's
`%pip install x` / `!pip install x` lines, read as the shell reads them, give "x is installed from the notebook;
declare it" on the requirement, unless the project declares x; the fix adds the requirement as written to the
manifest. Real projects, real venvs, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.projects import findings
from support.wheels import build_wheel
from venvsense.check import check_project, imports_unchanged
from venvsense.edits import apply_edits
from venvsense.fixes import finding_fixes
from venvsense.imports import scan_source
from venvsense.imports.notebook import code_of_cells, notebook_code, notebook_json
from venvsense.model import project_at
from venvsense.text import UnreadableFile, read_text


def notebook(*cells: tuple[str, str]) -> str:
    return json.dumps({"cells": [{"cell_type": kind, "source": source.splitlines(keepends=True), "metadata": {}}
                                 for kind, source in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def installed(line: str) -> list[tuple[str, str]]:
    """(requirement, name) of each requirement a one-line code cell installs with pip."""
    return [(i.requirement, i.name) for i in code_of_cells([(True, line)]).installs]


@pytest.mark.parametrize(("line", "expected"), [
    ("%pip install pandas", [("pandas", "pandas")]),
    ("%pip install -q pandas==2.2.3 'scikit-learn>=1.3,<2'",
     [("pandas==2.2.3", "pandas"), ("scikit-learn>=1.3,<2", "scikit-learn")]),
    ("!pip install requests httpx[http2]", [("requests", "requests"), ("httpx[http2]", "httpx")]),
    ("  ! pip3 install -U --quiet tqdm", [("tqdm", "tqdm")]),
    ("!python -m pip install --index-url https://example.org/simple x", [("x", "x")]),
    ("!{sys.executable} -m pip install --no-deps y", [("y", "y")]),
    ("!/usr/bin/python3.12 -m pip install z", [("z", "z")]),
    ("!uv pip install --python 3.12 w", [("w", "w")]),
    ("%uv pip install v", [("v", "v")]),
    ("!pip -q install u", [("u", "u")]),
    ("!pip install -r requirements.txt -c constraints.txt t", [("t", "t")]),
    ("!pip install -rrequirements.txt", []),
    ("!pip install --requirement=req.txt s", [("s", "s")]),
    ("!pip install -e . ", []),
    ("!pip install -e git+https://github.com/o/r.git#egg=rpkg", []),
    ("!pip install git+https://github.com/o/r.git#egg=rpkg", [("rpkg", "rpkg")]),
    ("!pip install git+https://github.com/o/r.git@v1.0#egg=rpkg", [("rpkg", "rpkg")]),
    ("!pip install ./dist/foo_bar-1.0-py3-none-any.whl", [("foo-bar", "foo-bar")]),
    ("!pip install https://example.org/baz-2.0.tar.gz", [("baz", "baz")]),
    ("!pip install 'name @ https://example.org/name-1.0-py3-none-any.whl'",
     [("name @ https://example.org/name-1.0-py3-none-any.whl", "name")]),
    # the shell reads `>` as a redirection: pandas is installed (any version), pip's output goes to a file `=2`
    ("!pip install pandas>=2", [("pandas", "pandas")]),
    ('!pip install "pandas>=2"', [("pandas>=2", "pandas")]),
    ("!pip install a 2>/dev/null", [("a", "a")]),
    ("!pip install a && pip install b", [("a", "a")]),
    ("!pip install a; echo done", [("a", "a")]),
    ("!pip install a  # and b", [("a", "a")]),
    ("!pip install {package} $other", []),
    ("!pip install --upgrade pip", []),
    ("!pip list", []),
    ("!pip install --dry-run a", []),
    ("!pip download a", []),
    ("!pip uninstall -y a", []),
    ("%conda install numpy", []),
    ("!conda install -y numpy", []),
    ("!mamba install numpy", []),
    ("%pip", []),
])
def test_what_a_pip_line_installs(line: str, expected: list[tuple[str, str]]) -> None:
    assert installed(line) == expected


def test_places_continuations_and_cell_magics() -> None:
    cells = [
        (True, "import os\n%pip install -q alpha==1.0 \\\n    beta\nx = 1"),
        (False, "%pip install in_markdown"),
        (True, "%%bash\necho hi\npip install gamma\npython -m pip install delta\nconda install eps\n"),
        (True, "%%capture\n%pip install zeta\nimport numpy"),
        (True, "%%writefile x.txt\npip install not_a_command\nimport not_code"),
        (True, "%%script bash\npip install eta"),
    ]
    code = code_of_cells(cells)
    lines = code.text.splitlines()
    places = [(i.name, code.cell_of(i.line), lines[i.line], i.start, i.end) for i in code.installs]
    assert places == [
        ("alpha", (1, 1), "", 16, 26), ("beta", (1, 2), "", 4, 8),
        ("gamma", (3, 2), "", 12, 17), ("delta", (3, 3), "", 22, 27),
        ("zeta", (4, 1), "", 13, 17),
        ("eta", (6, 1), "", 12, 15),
    ]
    # the continuation line is part of the magic, not Python; %%capture's body is Python, %%writefile's is not
    assert [s.module for s in scan_source(code.text).imports] == ["os", "numpy"]
    # columns are those of the cell's own line
    assert cells[0][1].splitlines()[1][16:26] == "alpha==1.0"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("notebook-pip-wheels")
    build_wheel(house, "alpha", "1.0")
    build_wheel(house, "beta", "1.0")
    return house


ANALYSIS = notebook(
    ("markdown", "# Analysis\n"),
    ("code", "%pip install -q beta==1.0 alpha\n%conda install gamma\n"),
    ("code", "import alpha\nimport beta\nimport missing_module\n"),
)


def _run_check(root: Path, *args: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ["VENVSENSE_CACHE_DIR"] = ""
    return subprocess.run([sys.executable, "-m", "venvsense", "check", "--format", "concise", *args, "."], cwd=root,
                          capture_output=True, text=True, check=False, env=environ).stdout


def _text_of(path: Path) -> str | None:
    try:
        return read_text(path)
    except UnreadableFile:
        return None


@pytest.mark.parametrize("manifest", ["pyproject.toml", "requirements.txt"])
def test_a_notebook_installs_what_is_not_declared_and_the_fix_declares_it(
        project: Callable[..., Path], manifest: str) -> None:
    files = ({"pyproject.toml": '[project]\nname = "proj"\nversion = "1"\ndependencies = ["alpha"]\n'}
             if manifest == "pyproject.toml" else {"requirements.txt": "alpha\n"})
    root = project({**files, "notebooks/analysis.ipynb": ANALYSIS}, installs=("alpha==1.0", "beta==1.0"))
    found = [(f["code"], f.get("cell"), f["range"]["start"], f["message"]) for f in findings(root)
             if str(f["file"]).endswith(".ipynb")]
    # cell 2: beta is installed by the notebook (alpha is declared, %conda is not pip); cell 3: beta is imported
    # but not declared, missing_module is not installed
    assert found == [
        ("VS305", 2, {"line": 1, "column": 17}, "'beta' is installed from the notebook; declare it"),
        ("VS302", 3, {"line": 2, "column": 8}, found[1][3]),
        ("VS301", 3, {"line": 3, "column": 8}, found[2][3]),
    ]
    assert "notebooks/analysis.ipynb:cell 2:1:17: VS305 'beta' is installed from the notebook; declare it" in (
        _run_check(root))

    report = check_project(project_at(root))
    vs305 = next(f for f in report.findings if f.code == "VS305")
    assert vs305.severity.label == "information"
    fixes = finding_fixes(report, vs305, trusted=False, text_of=_text_of)
    assert [fix.title for fix in fixes] == [f"Add beta==1.0 to {manifest}"]
    (edit,) = fixes[0].edits
    target = root / manifest
    target.write_text(apply_edits(target.read_text(), [edit]))
    if manifest == "pyproject.toml":
        assert 'dependencies = ["alpha", "beta==1.0"]' in target.read_text()
    else:
        assert target.read_text() == "alpha\nbeta==1.0\n"
    after = [f["code"] for f in findings(root) if str(f["file"]).endswith(".ipynb")]
    assert after == ["VS301"]


def test_declared_in_a_development_set_is_declared(project: Callable[..., Path]) -> None:
    root = project({
        "requirements.txt": "alpha\n",
        "requirements-dev.txt": "beta\n",
        "nb.ipynb": notebook(("code", "!pip install beta alpha\n")),
    }, installs=("alpha==1.0", "beta==1.0"))
    assert [f for f in findings(root) if f["code"] == "VS305"] == []


def test_vs305_can_be_turned_off(project: Callable[..., Path]) -> None:
    root = project({
        "pyproject.toml": '[project]\nname = "proj"\nversion = "1"\ndependencies = []\n'
                          '[tool.venvsense.severity]\ninstalled-from-notebook = "off"\n',
        "nb.ipynb": notebook(("code", "!pip install beta\n")),
    }, installs=("beta==1.0",))
    assert [f for f in findings(root) if f["code"] == "VS305"] == []


def test_a_notebook_that_is_not_json_has_no_install_and_no_traceback(project: Callable[..., Path]) -> None:
    root = project({"requirements.txt": "alpha\n", "nb.ipynb": "%pip install beta\n"}, installs=("alpha==1.0",))
    assert [f for f in findings(root) if f["code"] == "VS305"] == []
    assert notebook_code(b"%pip install beta").installs == ()


def test_a_notebook_edit_that_keeps_its_imports_and_installs_keeps_the_last_report(
        project: Callable[..., Path]) -> None:
    """The editor's keystroke path (``check.imports_unchanged``) for an open notebook: typing in a cell's body
    keeps the last report; a changed import, or a changed or new pip install, needs the full check."""
    root = project({"requirements.txt": "alpha\n", "nb.ipynb": ANALYSIS}, installs=("alpha==1.0",))
    path = root / "nb.ipynb"
    cells = [(False, "# Analysis\n"), (True, "%pip install -q beta==1.0 alpha\n%conda install gamma\n"),
             (True, "import alpha\nimport beta\nimport missing_module\n")]
    previous = check_project(project_at(root), overrides={path: notebook_json(cells)})
    assert [f.code for f in previous.findings if f.file == path] == ["VS305", "VS301", "VS301"]

    def edited(index: int, text: str) -> dict[Path, str]:
        return {path: notebook_json([(code, text if i == index else old) for i, (code, old) in enumerate(cells)])}

    assert imports_unchanged(previous, edited(2, "import alpha\nimport beta\nimport missing_module\nx = 1\n"))
    assert imports_unchanged(previous, edited(0, "# Analysis, and more\n"))
    assert not imports_unchanged(previous, edited(2, "import alpha\nimport beta\nimport missing_modules\n"))
    assert not imports_unchanged(previous, edited(1, "%pip install -q beta==1.0 alpha gamma\n"))
    assert not imports_unchanged(previous, edited(1, "%pip install -q  beta==1.0 alpha\n"))  # moved
    assert not imports_unchanged(previous, edited(1, "%pip install -q alpha\n"))

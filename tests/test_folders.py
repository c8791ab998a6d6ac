"""Folders with no manifest (issue 16, the tutorial's reader): a folder of `.py` files importing third-party
modules with no manifest at or above it is a project. Without a venv: one VS101 naming what to install, whose
fix (and `venvsense create`) installs it; with one: VS301 for what the venv lacks, one information VS302 and the
"Write requirements.txt from this venv" fix. Real folders, real venvs, real wheels, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.projects import findings, write
from support.wheels import build_wheel, make_venv, pip_install
from venvsense.check import check_project
from venvsense.edits import apply_edits
from venvsense.fixes import finding_fixes, project_fixes, repair_for
from venvsense.model import find_projects, project_at

SERVER = Path(__file__).resolve().parents[1] / "server"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("folder-wheels")
    build_wheel(house, "requests", "2.32.3", requires=["urllib3>=2"])
    build_wheel(house, "urllib3", "2.2.0")
    build_wheel(house, "boto3", "1.34.0")
    build_wheel(house, "PyYAML", "6.0.1", modules=["yaml"])
    return house


def _disk(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def venvsense(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SERVER), "VENVSENSE_CACHE_DIR": ""}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([sys.executable, "-m", "venvsense", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300, check=False)


# --- which folders are projects -------------------------------------------------------------------------


def test_only_folders_whose_own_code_imports_third_party_modules_are_projects(tmp_path: Path) -> None:
    write(tmp_path, {
        "tutorial/main.py": "import requests, boto3\nimport os\n",
        "tutorial/helpers/util.py": "import yaml\n",  # a sub-folder of a project folder is that project's
        "stdlib_only/tool.py": "import json, sys\nimport tool_helpers\n",
        "stdlib_only/tool_helpers.py": "import os\n",
        "stdlib_only/deeper/fetch.py": "import httpx\n",  # the first folder on its branch that needs installs
        "optional/maybe.py": "try:\n    import ujson\nexcept ImportError:\n    import json\n",
        "service/requirements.txt": "flask\n",
        "service/scripts/deploy.py": "import fabric\n",  # loose scripts inside a project are the project's
        "service/app.py": "import flask\n",
    })
    roots = sorted(p.root.relative_to(tmp_path).as_posix() for p in find_projects(tmp_path))
    assert roots == ["service", "stdlib_only/deeper", "tutorial"]
    tutorial = next(p for p in find_projects(tmp_path) if p.root.name == "tutorial")
    assert tutorial.manifestless and not project_at(tmp_path / "service").manifestless


def test_a_folder_under_a_manifest_is_never_a_folder_project(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\nversion = '0'\ndependencies = []\n",
                     "notebooks/analysis.py": "import pandas\n", "tools/sync.py": "import boto3\n"})
    assert [p.root for p in find_projects(tmp_path)] == [tmp_path]


def test_a_setup_py_module_inside_a_package_is_no_project(tmp_path: Path) -> None:
    # pdm's src/pdm/models/setup.py is the module that reads other projects' setup files: its folder is part of
    # pdm (its imports are pdm's), while a setup.py that is a folder's only marker and no module stays a project
    from venvsense.model.discovery import is_project_root, project_root_of

    write(tmp_path, {"pyproject.toml": "[project]\nname = 'pdm'\nversion = '0'\ndependencies = ['unearth']\n",
                     "src/pdm/__init__.py": "", "src/pdm/models/__init__.py": "",
                     "src/pdm/models/setup.py": "import ast\n", "src/pdm/models/finder.py": "import unearth\n",
                     "plugins/extra/setup.py": "from setuptools import setup\nsetup(name='extra')\n",
                     "vendored/lib/setup.py": "", "vendored/lib/__init__.py": "", "vendored/lib/pyproject.toml": ""})
    assert [p.root for p in find_projects(tmp_path)] == [tmp_path, tmp_path / "plugins/extra",
                                                          tmp_path / "vendored/lib"]
    assert not is_project_root(tmp_path / "src/pdm/models") and is_project_root(tmp_path / "vendored/lib")
    assert project_root_of(tmp_path / "src/pdm/models/finder.py") == tmp_path
    assert findings(tmp_path, "--select", "VS302") == []


def test_a_project_folder_leaves_out_a_nested_project_it_holds(tmp_path: Path) -> None:
    write(tmp_path, {"main.py": "import requests\n",
                     "lib/pyproject.toml": "[project]\nname = 'lib'\nversion = '0'\ndependencies = ['yaml']\n",
                     "lib/lib/__init__.py": "import yaml\n"})
    report = check_project(next(p for p in find_projects(tmp_path) if p.root == tmp_path))
    (vs101,) = [f for f in report.findings if f.code == "VS101"]
    assert vs101.data["packages"] == ["requests"]  # not lib's PyYAML


# --- without a venv -------------------------------------------------------------------------------------


def test_no_manifest_no_venv_is_one_vs101_on_the_first_third_party_import(tmp_path: Path) -> None:
    root = write(tmp_path / "tutorial", {"main.py": "import os\nimport requests, boto3\nimport yaml\n"})
    found = findings(root)
    assert [(f["code"], f["file"], f["range"]["start"]) for f in found] == [  # type: ignore[index]
        ("VS101", "main.py", {"line": 2, "column": 8})]
    assert found[0]["message"].startswith(  # type: ignore[union-attr]
        "requests, boto3, PyYAML are imported and there is no venv")
    report = check_project(find_projects(root)[0])
    (vs101,) = report.findings
    fixes = finding_fixes(report, vs101, trusted=True, text_of=_disk)
    assert [f.title for f in fixes] == ["Create .venv here and install requests, boto3, PyYAML"]
    assert finding_fixes(report, vs101, trusted=False, text_of=_disk) == []  # it runs a process
    assert repair_for(report) == "create"


def test_create_installs_what_the_folder_imports_then_the_check_is_clean(tmp_path: Path, wheels: Path) -> None:
    root = write(tmp_path / "tutorial", {"main.py": "import requests\nimport yaml\n"})
    result = venvsense("create", str(root), "--installer", "pip", "--no-index", "--find-links", str(wheels),
                       cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Installs: requests, PyYAML" in result.stdout
    assert "imported by the folder's code" in result.stdout
    found = findings(root)
    assert [f["code"] for f in found] == ["VS302"]  # the one information finding: nothing declares them
    assert found[0]["severity"] == "information"


def test_a_folder_with_only_optional_third_party_imports_says_nothing(tmp_path: Path) -> None:
    root = write(tmp_path / "scripts", {
        "a.py": "try:\n    import ujson as json\nexcept ImportError:\n    import json\n"})
    assert findings(root) == []


# --- with a venv ----------------------------------------------------------------------------------------


def test_with_a_venv_missing_imports_are_vs301_and_installed_ones_one_information(tmp_path: Path,
                                                                                 wheels: Path) -> None:
    root = write(tmp_path / "tutorial", {"main.py": "import requests\nimport boto3\n", "more.py": "import yaml\n"})
    venv = make_venv(root / ".venv")
    pip_install(venv, "requests", "PyYAML", find_links=wheels)
    found = findings(root)
    assert sorted((f["code"], f["severity"], f["file"]) for f in found) == [  # type: ignore[type-var]
        ("VS301", "error", "main.py"), ("VS302", "information", "main.py")]
    info = next(f for f in found if f["code"] == "VS302")
    assert info["message"] == ("requests, PyYAML are imported from .venv and no requirements file names them: "
                               "write one with `venvsense freeze`")


def test_the_write_requirements_fix_makes_a_new_file_that_makes_the_check_clean(tmp_path: Path,
                                                                               wheels: Path) -> None:
    root = write(tmp_path / "tutorial", {"main.py": "import requests\nimport yaml\n"})
    venv = make_venv(root / ".venv")
    pip_install(venv, "requests", "PyYAML", find_links=wheels)
    report = check_project(find_projects(root)[0])
    (info,) = report.findings
    (fix,) = finding_fixes(report, info, trusted=False, text_of=_disk)  # a file edit: also when untrusted
    assert fix.title == "Write requirements.txt from this venv" and fix.creates == root / "requirements.txt"
    text = apply_edits("", fix.edits)
    assert [line for line in text.splitlines() if not line.startswith("#")] == [
        "PyYAML==6.0.1", "requests==2.32.3"]
    (root / "requirements.txt").write_text(text, encoding="utf-8")
    assert findings(root) == []
    # once the file exists the fix is not offered again (it would overwrite it)
    (root / "requirements.txt").write_text("", encoding="utf-8")
    again = check_project(project_at(root))
    assert not any(f.title.startswith("Write") for finding in again.findings
                   for f in finding_fixes(again, finding, trusted=True, text_of=_disk))


def test_a_manifest_project_keeps_its_per_import_vs302(tmp_path: Path, wheels: Path) -> None:
    root = write(tmp_path / "proj", {"requirements.txt": "requests\n", "main.py": "import requests\nimport yaml\n"})
    venv = make_venv(root / ".venv")
    pip_install(venv, "requests", "PyYAML", find_links=wheels)
    found = findings(root)
    assert [(f["code"], f["severity"]) for f in found] == [("VS302", "warning")]
    assert "'yaml' is imported but not declared" in str(found[0]["message"])


def test_json_and_project_fixes_of_a_folder_without_a_venv(tmp_path: Path) -> None:
    root = write(tmp_path / "t", {"main.py": "import requests\n"})
    result = venvsense("check", str(root), "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    (project,) = json.loads(result.stdout)["projects"]
    assert project["environment"] is None and [f["code"] for f in project["findings"]] == ["VS101"]
    report = check_project(find_projects(root)[0])
    assert [f.title for f in project_fixes(report)] == ["Create .venv here and install requests", "Re-check"]


def test_with_a_venv_what_the_imports_lack_is_installed_by_its_fix_and_by_venvsense_fix(tmp_path: Path,
                                                                                      wheels: Path) -> None:
    root = write(tmp_path / "tutorial", {"main.py": "import requests\nimport boto3\n"})
    pip_install(make_venv(root / ".venv"), "requests", find_links=wheels)
    report = check_project(find_projects(root)[0])
    missing = next(f for f in report.findings if f.code == "VS301")
    assert [f.title for f in finding_fixes(report, missing, trusted=True, text_of=_disk)] == ["Install boto3"]
    assert repair_for(report) == "install"
    checked = venvsense("check", "tutorial", cwd=tmp_path)
    assert checked.stdout.splitlines()[-1].endswith("run 'venvsense fix tutorial' to install 1 package")
    result = venvsense("fix", str(root), "--installer", "pip", "--no-index", "--find-links", str(wheels),
                       cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "boto3: imported by the folder's code and not installed" in result.stdout
    assert [f["code"] for f in findings(root)] == ["VS302"]  # installed now; only the freeze hint is left


def test_a_folder_of_notebooks_is_a_project_too(tmp_path: Path) -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# data"]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": ["%matplotlib inline\n", "import os\n"]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": ["import yaml\n"]}]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    root = write(tmp_path / "ws", {"analysis/explore.ipynb": json.dumps(notebook)})
    (project,) = find_projects(root)
    assert project.root == root / "analysis"
    result = venvsense("check", str(root), "--format", "concise", cwd=root)
    assert result.stdout == ("analysis/explore.ipynb:cell 3:1:8: VS101 PyYAML is imported and there is no venv: "
                             "create one with `venvsense create` (a .venv in this folder, with it installed)\n")


def test_the_projects_a_test_suite_builds_on_are_its_data(tmp_path: Path) -> None:
    # poetry's tests/fixtures/* (50 pyproject.toml files, two locks broken on purpose), pip's tests/data/*,
    # mypy's test-data/packages/*: data of the project around them, not projects of their own
    write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'tool'\nversion = '0'\ndependencies = []\n",
        "tests/fixtures/invalid_lock/pyproject.toml": "[project]\nname = 'x'\nversion = '0'\n",
        "tests/fixtures/invalid_lock/poetry.lock": "[[package]\n",
        "tests/unit/data/packages/demo/setup.py": "from setuptools import setup\nsetup(name='demo')\n",
        "test-data/packages/typedpkg/pyproject.toml": "[project]\nname = 'typedpkg'\nversion = '0'\n",
        "tests/integration/app/pyproject.toml": "[project]\nname = 'app'\nversion = '0'\n",  # not data: a project
        "data/pyproject.toml": "[project]\nname = 'data'\nversion = '0'\n",  # a root `data` folder: a project
    })
    assert [p.root for p in find_projects(tmp_path)] == [tmp_path, tmp_path / "data",
                                                          tmp_path / "tests/integration/app"]
    # asked for by name, a fixture is checked as the project it is
    assert [p.root for p in find_projects(tmp_path / "tests/fixtures/invalid_lock")] == [
        tmp_path / "tests/fixtures/invalid_lock"]
    found = findings(tmp_path)
    assert not [f for f in found if f["code"] == "VS206"]

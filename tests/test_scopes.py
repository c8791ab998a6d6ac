"""Scopes (which part of a project each file is) and VS304 dev-only-import, on small real projects: files
written to disk, real venvs filled from real wheels, the real CLI (issue 11, "One finding per real problem")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.projects import findings, write
from support.wheels import build_wheel, uv_executable
from venvsense.check import check_project
from venvsense.fixes import finding_fixes
from venvsense.model import Scopes, project_at, read_model
from venvsense.model.scopes import development_only, read_scopes
from venvsense.tomlfile import read_toml


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("scope-wheels")
    for name in ("runlib", "devtool", "testtool", "fastlib", "doctool"):
        build_wheel(house, name, "1.0")
    build_wheel(house, "framework", "1.0", requires=["devtool>=1"])  # starlette to fastapi's anyio
    return house



def vs304(found: list[dict[str, object]]) -> set[tuple[object, object, object]]:
    return {(f["file"], f["package"], f["severity"]) for f in found if f["code"] == "VS304"}


# --- scopes ---------------------------------------------------------------------------------------------

def test_scope_of_each_file_by_its_place(tmp_path: Path) -> None:
    root = write(tmp_path, {"docs/index.rst": "", "site/index.md": "", "site/conf.py": "", "pkg/conf.py": ""})
    scopes = Scopes(root)
    expected = {
        "pkg/core.py": "package", "src/pkg/core.py": "package", "app.py": "package", "manage.py": "package",
        "pkg/tools/run.py": "package", "pkg/scripts/cli.py": "package", "pkg/conf.py": "package",
        "tests/test_core.py": "tests", "tests/helpers.py": "tests", "pkg/tests/util.py": "tests",
        "src/pkg/test/data.py": "tests", "test_top.py": "tests", "pkg/core_test.py": "tests",
        "conftest.py": "tests", "pkg/conftest.py": "tests", "app/tests.py": "tests", "runtests.py": "tests",
        "docs/conf.py": "docs", "doc/ext/plugin.py": "docs", "site/conf.py": "docs",
        "docs_src/tutorial/trio_app.py": "docs", "Documentation/gen.py": "docs", "docsite/x.py": "package",
        "scripts/release.py": "scripts", "tools/gen.py": "scripts", "benchmarks/run.py": "scripts",
        "examples/demo/app.py": "scripts", ".github/check.py": "scripts", "setup.py": "scripts",
        "noxfile.py": "scripts", "tasks.py": "scripts", "pkg/noxfile.py": "scripts",
    }
    assert {name: scopes.of(root / name) for name in expected} == expected
    assert scopes.of(tmp_path.parent / "elsewhere.py") == "package"
    assert Scopes(root) == scopes and Scopes(root, ["x"]) != scopes


@pytest.mark.parametrize(("name", "text"), [
    ("pyproject.toml", '[tool.pytest.ini_options]\ntestpaths = ["checks", "integration/*"]\n'),
    ("pyproject.toml", '[tool.pytest]\ntestpaths = ["./checks/", "integration/*"]\n'),
    ("pytest.ini", "[pytest]\ntestpaths = checks\n    integration/*\n"),
    ("setup.cfg", "[metadata]\nname = x\n[tool:pytest]\ntestpaths = checks integration/*\n"),
    ("tox.ini", "[tox]\nenvlist = py3\n[pytest]\ntestpaths =\n    checks\n    integration/*\n"),
])
def test_pytest_testpaths_are_tests(tmp_path: Path, name: str, text: str) -> None:
    root = write(tmp_path, {name: text})
    pyproject = read_toml(root / "pyproject.toml") if name == "pyproject.toml" else None
    scopes = read_scopes(root, pyproject)
    assert scopes.of(root / "checks" / "smoke.py") == "tests"
    assert scopes.of(root / "integration" / "db" / "flows.py") == "tests"
    assert scopes.of(root / "checksum.py") == "package"
    assert scopes.of(root / "integration.py") == "package"


def test_pytest_reads_the_first_file_with_its_section(tmp_path: Path) -> None:
    # pytest.ini wins even without testpaths; a tox.ini without [pytest] is passed over
    root = write(tmp_path, {"pytest.ini": "[pytest]\naddopts = -q\n", "setup.cfg": "[tool:pytest]\ntestpaths = a\n"})
    assert read_scopes(root, None).test_paths == ()
    root = write(tmp_path / "two", {"tox.ini": "[tox]\n", "setup.cfg": "[tool:pytest]\ntestpaths = a\n"})
    assert read_scopes(root, None).test_paths == ("a",)


def test_a_test_path_that_is_the_package_itself_is_package_code(tmp_path: Path) -> None:
    # doctests collected from the package (`testpaths = ["src", "mypkg", ...]`) do not make it test code
    root = write(tmp_path, {"pytest.ini": "[pytest]\ntestpaths = src mypkg checks integration tests\n",
                            "mypkg/__init__.py": "", "integration/__init__.py": "", "integration/conftest.py": "",
                            "tests/__init__.py": ""})
    scopes = read_scopes(root, None)
    assert scopes.test_paths == ("checks", "integration", "tests")
    assert [scopes.of(root / p) for p in ("src/pkg/a.py", "mypkg/a.py", "integration/a.py", "tests/a.py")] == [
        "package", "package", "tests", "tests"]


def test_unreadable_pytest_configuration_adds_nothing(tmp_path: Path) -> None:
    root = write(tmp_path, {"pytest.ini": "[pytest\ntestpaths = a\n", "tox.ini": "\x00\x01"})
    os.mkfifo(root / "setup.cfg") if hasattr(os, "mkfifo") else None
    assert read_scopes(root, None).test_paths == ()  # a FIFO is never opened for reading


# --- which declarations are for development ---------------------------------------------------------------

def test_development_sets_are_groups_and_dev_requirement_files_never_extras(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["runlib"]\n'
                          '[project.optional-dependencies]\nfast = ["fastlib"]\ntest = ["testextra"]\n'
                          '[dependency-groups]\ndev = ["devtool"]\ndocs = ["doctool"]\n'
                          '[tool.uv]\ndev-dependencies = ["uvdev"]\n'
                          # (a docs/ folder with a requirements file is a project of its own unless configured)
                          '[tool.venvsense]\nrequirements = ["*requirements*.txt", "requirements/*.txt", '
                          '"docs/requirements.txt"]\n',
        "requirements-dev.txt": "reqdev\n", "dev-requirements.txt": "devreq\n",
        "requirements/test-min.txt": "reqtest\n", "requirements/extras.txt": "reqextra\n",
        "requirements-optional.txt": "reqoptional\n", "docs/requirements.txt": "docsreq\n",
    })
    model = read_model(project_at(root))
    judged = {d.normalized: development_only(d, root) for d in model.declarations}
    assert judged == {
        "runlib": False, "fastlib": False, "testextra": False, "devtool": True, "doctool": True, "uvdev": True,
        "reqdev": True, "devreq": True, "reqtest": True, "reqextra": False, "reqoptional": False, "docsreq": True,
    }


def test_poetry_groups_are_for_development(tmp_path: Path) -> None:
    root = write(tmp_path, {"pyproject.toml": '[tool.poetry]\nname = "p"\nversion = "1"\n'
                            '[tool.poetry.dependencies]\npython = "^3.9"\nrunlib = "*"\n'
                            'fastlib = { version = "*", optional = true }\n'
                            '[tool.poetry.extras]\nfast = ["fastlib"]\n'
                            '[tool.poetry.group.test.dependencies]\ntesttool = "*"\n'
                            '[tool.poetry.dev-dependencies]\ndevtool = "*"\n'})
    model = read_model(project_at(root))
    assert {d.normalized: development_only(d, root) for d in model.declarations} == {
        "runlib": False, "fastlib": False, "testtool": True, "devtool": True}


# --- VS304 --------------------------------------------------------------------------------------------

_PYPROJECT = ('[project]\nname = "proj"\nversion = "1"\ndependencies = ["runlib"]\n'
              '[project.optional-dependencies]\nfast = ["fastlib"]\n'
              '[dependency-groups]\ndev = ["devtool"]\ntest = ["testtool"]\n'
              '[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')


def test_package_code_importing_a_development_only_distribution(project: Callable[..., Path]) -> None:
    root = project({
        "pyproject.toml": _PYPROJECT,
        "pkg/__init__.py": "import runlib\n",
        "pkg/core.py": "import devtool\n",
        "pkg/optional.py": "try:\n    import devtool\nexcept ImportError:\n    devtool = None\n",
        "pkg/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import devtool\n",
        "pkg/fast.py": "import fastlib\n",
        "tests/test_core.py": "import testtool\nimport devtool\n",
        "checks/smoke.py": "import testtool\n",
        "scripts/release.py": "import devtool\n",
        "docs/conf.py": "import devtool\n",
        "noxfile.py": "import devtool\nimport testtool\n",
    }, installs=("runlib", "devtool", "testtool", "fastlib"))
    found = findings(root)
    # an optional import (try/except ImportError) is none: the package runs without it (flask's `import
    # cryptography` for ad-hoc certificates, judged false on the precision benchmark); and as the package imports
    # devtool as optional there, core.py's import is the weaker form, a hint
    assert vs304(found) == {("pkg/core.py", "devtool", "hint")}
    core = next(f for f in found if f["code"] == "VS304" and f["file"] == "pkg/core.py")
    assert core["message"] == ("'devtool' is imported by package code, but 'devtool' is declared only for "
                               "development (group 'dev'): users of the package will not have it; the project "
                               "imports it as optional elsewhere, so it is one the package can run without")
    # nothing else: the test tool is used by tests, the dev tool by package code, the extra by its module
    assert [f for f in found if f["code"] != "VS304"] == []


def test_a_distribution_declared_for_runtime_too_is_no_finding(project: Callable[..., Path]) -> None:
    root = project({
        "pyproject.toml": _PYPROJECT.replace('dev = ["devtool"]', 'dev = ["devtool", "runlib>=1"]')
                                    .replace('fast = ["fastlib"]', 'fast = ["fastlib", "devtool"]'),
        "pkg/__init__.py": "import runlib\nimport devtool\nimport fastlib\nimport testtool\n",
    }, installs=("runlib", "devtool", "testtool", "fastlib"))
    assert vs304(findings(root)) == {("pkg/__init__.py", "testtool", "warning")}


def test_a_dev_requirements_file_without_a_venv(project: Callable[..., Path]) -> None:
    # no venv: VS304 needs none (what is declared where is enough); VS101 stands for the rest
    root = project({
        "requirements.txt": "runlib\n", "requirements-dev.txt": "-r requirements.txt\ndevtool==1.0\n",
        "app/__init__.py": "import runlib\nimport devtool\n", "app/tests/test_app.py": "import devtool\n",
    }, venv=False)
    found = findings(root)
    assert vs304(found) == {("app/__init__.py", "devtool", "warning")}
    message = next(f["message"] for f in found if f["code"] == "VS304")
    assert "(requirements-dev.txt), and it is not installed" in message
    assert {f["code"] for f in found} == {"VS101", "VS304"}


def test_a_development_group_not_installed_is_vs304_in_package_code_and_vs301_in_tests(
        project: Callable[..., Path]) -> None:
    root = project({
        "pyproject.toml": _PYPROJECT,
        "pkg/__init__.py": "import runlib\nimport devtool\n",
        "tests/test_pkg.py": "import devtool\nimport testtool\n",
    }, installs=("runlib",))
    found = findings(root)
    assert vs304(found) == {("pkg/__init__.py", "devtool", "warning")}
    assert {(f["code"], f["file"], f["package"]) for f in found if f["code"] == "VS301"} == {
        ("VS301", "tests/test_pkg.py", "devtool"), ("VS301", "tests/test_pkg.py", "testtool")}


def test_the_fix_adds_the_distribution_to_the_main_dependencies(project: Callable[..., Path]) -> None:
    root = project({"pyproject.toml": _PYPROJECT, "pkg/__init__.py": "import runlib\nimport devtool\n"},
                   installs=("runlib", "devtool"))
    report = check_project(project_at(root))
    finding = next(f for f in report.findings if f.code == "VS304")
    fixes = finding_fixes(report, finding, trusted=True, text_of=lambda p: p.read_text(encoding="utf-8"))
    assert [f.title for f in fixes] == ["Add devtool to pyproject.toml"]
    (edit,) = fixes[0].edits
    assert '"devtool"' in edit.new_text


def test_show_imports_says_each_files_scope(project: Callable[..., Path]) -> None:
    root = project({"pyproject.toml": _PYPROJECT, "pkg/__init__.py": "import runlib\n",
                    "checks/smoke.py": "import os\n", "docs/conf.py": "import os\n", "setup.py": "import os\n"},
                   venv=False)
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {"VENVSENSE_CACHE_DIR": ""}
    result = subprocess.run([sys.executable, "-m", "venvsense", "show", "imports", str(root), "--format", "json"],
                            capture_output=True, text=True, env=environ, check=True)
    (document,) = json.loads(result.stdout)["projects"]
    assert {i["file"]: i["scope"] for i in document["imports"]} == {
        "pkg/__init__.py": "package", "checks/smoke.py": "tests", "docs/conf.py": "docs", "setup.py": "scripts"}


def test_a_project_without_a_main_set_has_no_package_code(project: Callable[..., Path], tmp_path: Path) -> None:
    # a uv workspace root: dependency groups only, no [project]; it builds and deploys nothing, so its own code
    # is scripts (the members under packages/ are projects of their own)
    root = project({
        "pyproject.toml": '[dependency-groups]\ndev = ["devtool"]\n[tool.uv.workspace]\nmembers = ["packages/*"]\n',
        "check_blocks.py": "import devtool\n", "samples/app.py": "import devtool\n",
    }, installs=("devtool",))
    assert vs304(findings(root)) == set()
    assert read_model(project_at(root)).scopes.of(root / "check_blocks.py") == "scripts"
    packaged = write(tmp_path / "packaged", {"pyproject.toml": _PYPROJECT, "pkg/__init__.py": "import devtool\n",
                                             "samples/app.py": "import devtool\n"})
    assert vs304(findings(packaged)) == {("pkg/__init__.py", "devtool", "warning")}


# --- folders the packaging leaves out -----------------------------------------------------------------------

@pytest.mark.parametrize(("files", "unshipped", "shipped"), [
    # celery: its tests live in `t/` (pytest's testpaths name only t/unit), which setup.py keeps out of the wheel
    ({"setup.py": "import setuptools\nsetuptools.setup(name='c', install_requires=['runlib'],\n"
                  "    packages=setuptools.find_packages(exclude=['t', 't.*']))\n"},
     ["t/skip.py", "t/smoke/workers/alt.py"], ["celery/app.py", "tools.py", "tx/a.py"]),
    # setuptools' matching: `t` alone leaves out the package t, not t.smoke
    ({"setup.py": "from setuptools import setup, find_packages\n"
                  "setup(name='c', packages=find_packages(exclude=('t',)))\n"},
     ["t/skip.py"], ["t/smoke/workers/alt.py", "celery/app.py"]),
    # positional `where` and `exclude`, a namespace finder, a pattern
    ({"setup.py": "from setuptools import setup, find_namespace_packages\n"
                  "PACKAGES = find_namespace_packages('src', ['*.fixtures', 'bench*'])\n"
                  "setup(name='c', packages=PACKAGES)\n"},
     ["src/pkg/fixtures/a.py", "src/benchmarks_extra/run.py"], ["src/pkg/a.py", "pkg/fixtures/a.py"]),
    ({"pyproject.toml": '[project]\nname = "c"\nversion = "1"\n'
                        '[tool.setuptools.packages.find]\nwhere = ["src"]\nexclude = ["c.devtools*"]\n'},
     ["src/c/devtools/gen.py", "src/c/devtools_more/x.py"], ["src/c/core.py", "c/devtools/gen.py"]),
    ({"setup.cfg": "[metadata]\nname = c\n[options]\npackages = find:\n"
                   "[options.packages.find]\nexclude =\n    t\n    t.*\n"},
     ["t/smoke/a.py"], ["c/core.py"]),
])
def test_a_folder_the_packaging_leaves_out_is_not_package_code(
        tmp_path: Path, files: dict[str, str], unshipped: list[str], shipped: list[str]) -> None:
    root = write(tmp_path, files)
    pyproject = read_toml(root / "pyproject.toml") if "pyproject.toml" in files else None
    scopes = read_scopes(root, pyproject)
    assert {p: scopes.of(root / p) for p in unshipped + shipped} == {
        **{p: "scripts" for p in unshipped}, **{p: "package" for p in shipped}}
    # a test file there is still a test
    assert scopes.of(root / "t" / "smoke" / "test_a.py") == "tests"


@pytest.mark.parametrize("setup_py", [
    "from setuptools import setup, find_packages\nEX = ['t']\nsetup(name='c', packages=find_packages(exclude=EX))\n",
    "from setuptools import setup, find_packages\nsetup(name='c', packages=find_packages(exclude=[X + 'y']))\n",
    "from setuptools import setup\nsetup(name='c', packages=['c'], exclude_package_data={'': ['t']})\n",
    "from setuptools import setup, find_packages\nsetup(name='c', packages=find_packages(exclude=['t'])\n",  # broken
    "from setuptools import setup, find_packages\nsetup(name='c', packages=find_packages(where=1, exclude=['t']))\n",
])
def test_an_exclusion_that_is_not_literal_says_nothing(tmp_path: Path, setup_py: str) -> None:
    root = write(tmp_path, {"setup.py": setup_py})
    scopes = read_scopes(root, None)
    assert scopes.unpackaged == ()
    assert scopes.of(root / "t" / "skip.py") == "package"


def test_dev_tools_imported_where_setup_py_leaves_the_folder_out(project: Callable[..., Path]) -> None:
    # the real CLI on celery's shape: t/skip.py and t/smoke/ import pytest, declared for tests only; VS304 is
    # about code users of the package get, and t/ is not in it. The same import in the package stays VS304.
    root = project({
        "setup.py": "import setuptools\nsetuptools.setup(name='proj', version='1', install_requires=['runlib'],\n"
                    "    packages=setuptools.find_packages(exclude=['t', 't.*']))\n",
        "requirements-dev.txt": "testtool\n",
        "proj/__init__.py": "import runlib\n",
        "proj/contrib.py": "import testtool\n",
        "t/__init__.py": "", "t/skip.py": "import testtool\n", "t/smoke/workers/alt.py": "import testtool\n",
        "pytest.ini": "[pytest]\ntestpaths = t/unit\n", "t/unit/test_app.py": "import testtool\n",
    }, installs=("runlib", "testtool"))
    assert vs304(findings(root)) == {("proj/contrib.py", "testtool", "warning")}


# --- a development-only distribution users get anyway -------------------------------------------------------

_THROUGH = ('[project]\nname = "proj"\nversion = "1"\ndependencies = ["framework"]\n'
            '[dependency-groups]\ndev = ["devtool"]\n')


def test_vs304_says_when_users_get_it_only_as_a_dependency_of_a_main_one(project: Callable[..., Path]) -> None:
    # fastapi's anyio: declared only in its dev group, imported by the package, required by starlette; users have
    # it, but only while starlette requires it. The venv's Requires-Dist tells.
    root = project({"pyproject.toml": _THROUGH, "proj/__init__.py": "import framework\nimport devtool\n",
                    "proj/other.py": "import testtool\n"}, installs=("framework", "devtool"))
    (finding,) = [f for f in findings(root) if f["code"] == "VS304"]
    assert finding["message"] == ("'devtool' is imported by package code, but 'devtool' is declared only for "
                                  "development (group 'dev'): users of the package get it only as a dependency "
                                  "of framework")
    assert finding["severity"] == "warning"


@pytest.mark.skipif(uv_executable() is None, reason="uv is not installed")
def test_without_a_venv_the_lock_tells_what_users_get_through_the_main_set(tmp_path: Path, wheels: Path) -> None:
    root = write(tmp_path / "proj", {
        "pyproject.toml": _THROUGH.replace('dev = ["devtool"]', 'dev = ["devtool", "doctool"]'),
        "proj/__init__.py": "import framework\nimport devtool\n", "proj/docs.py": "import doctool\n"})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    env.update({"UV_OFFLINE": "1", "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never", "UV_PYTHON": sys.executable,
                "UV_CACHE_DIR": str(tmp_path / "uv-cache")})
    subprocess.run([str(uv_executable()), "lock", "--offline", "--find-links", str(wheels)], cwd=root, env=env,
                   check=True, capture_output=True)
    assert not (root / ".venv").exists()
    messages = {f["file"]: f["message"] for f in findings(root) if f["code"] == "VS304"}
    assert messages == {
        "proj/__init__.py": "'devtool' is imported by package code, but 'devtool' is declared only for development "
                            "(group 'dev'), and it is not installed: users of the package get it only as a "
                            "dependency of framework",
        # nothing of the main set requires doctool: the plain VS304
        "proj/docs.py": "'doctool' is imported by package code, but 'doctool' is declared only for development "
                        "(group 'dev'), and it is not installed: users of the package will not have it",
    }


def test_an_import_of_a_module_the_project_treats_as_optional_is_a_hint(project: Callable[..., Path]) -> None:
    # sentry-python's integrations: `import channels` inside the function that needs it, the module guarded by
    # try/except ImportError where the integration is set up; scrapy's HTTP/2 modules import h2 at their top,
    # imported only when h2 is there. As for VS301 and VS302, the weaker form
    root = project({
        "pyproject.toml": _PYPROJECT, "pkg/__init__.py": "import runlib\n",
        "pkg/setup.py": "try:\n    import devtool\nexcept ImportError:\n    devtool = None\n",
        "pkg/lazy.py": "def f():\n    import devtool\n    return devtool\n",
        "pkg/eager.py": "import devtool\n",
    }, installs=("runlib",))
    found = {f["file"]: f for f in findings(root) if f["code"] == "VS304"}
    assert {file: f["severity"] for file, f in found.items()} == {"pkg/lazy.py": "hint", "pkg/eager.py": "hint"}
    assert found["pkg/lazy.py"]["message"].endswith(
        "; the project imports it as optional elsewhere, so it is one the package can run without")

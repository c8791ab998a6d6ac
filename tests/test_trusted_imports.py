"""No false alarm on real-project patterns (issue "Trusted on real projects"): each test builds a small project
with real files and a real venv, runs `venvsense check --format json` and looks at what it says."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support.projects import findings, module_of
from support.wheels import build_wheel


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("trusted-wheels")
    build_wheel(house, "alpha", "1.0")
    build_wheel(house, "matplotlib", "3.9.0", modules=["matplotlib", "mpl_toolkits", "pylab.py"])
    build_wheel(house, "pydantic", "1.10.0")
    build_wheel(house, "tomli", "2.0.1")
    build_wheel(house, "x", "1.0", modules=["xmod"])
    build_wheel(house, "x-slim", "1.0", modules=["xmod"])
    build_wheel(house, "uses-alpha", "1.0", requires=["alpha"])
    return house



def test_test_apps_put_on_sys_path_by_conftest_are_first_party(project):
    root = project({
        "requirements.txt": "alpha\n",
        "tests/conftest.py": "import os, sys\n"
                             "sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'test_apps'))\n",
        "tests/test_apps/blueprintapp/__init__.py": "from blueprintapp.apps import admin\n",
        "tests/test_apps/blueprintapp/apps/__init__.py": "",
        "tests/test_apps/blueprintapp/apps/admin.py": "",
        "tests/test_apps/cliapp/app.py": "",
        "tests/test_bp.py": "import alpha\nfrom blueprintapp import apps\nfrom cliapp.app import x\n",
    }, installs=("alpha",))
    assert findings(root) == []


def test_typeshed_private_modules_under_type_checking_are_not_findings(project):
    root = project({
        "requirements.txt": "alpha\n",
        "app.py": "import alpha\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                  "    from _typeshed.wsgi import WSGIApplication\n    from _typeshed import StrPath\n",
    }, installs=("alpha",))
    assert findings(root) == []


def test_python2_stdlib_names_in_an_import_error_fallback_are_not_findings(project):
    root = project({
        "requirements.txt": "alpha\n",
        "app.py": "import alpha\ntry:\n    from http.server import HTTPServer\nexcept ImportError:\n"
                  "    from BaseHTTPServer import HTTPServer\ntry:\n    import cPickle as pickle\n"
                  "except ImportError:\n    import pickle\n",
    }, installs=("alpha",))
    assert findings(root) == []


def test_setuptools_in_setup_py_is_declared_by_the_build_system(project):
    root = project({
        "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
                          '[project]\nname = "p"\nversion = "1"\ndependencies = ["alpha"]\n',
        "setup.py": "from setuptools import setup\nsetup()\n",
        "p/__init__.py": "import alpha\n",
    }, installs=("alpha",))
    assert findings(root) == []


def test_imports_gated_by_python_version_or_platform_are_judged_for_the_venv(project):
    other = "linux" if sys.platform == "win32" else "win32"
    root = project({
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\n'
                          'dependencies = ["alpha", \'tomli; python_version < "3.0"\',\n'
                          f'  \'pydivert; sys_platform == "{other}"\']\n',
        "p/__init__.py": "import sys\nimport alpha\nif sys.version_info >= (99, 0):\n    import annotationlib\n"
                         "if sys.version_info < (3, 0):\n    from tomli import loads\n"
                         "else:\n    from json import loads\n"
                         f"if sys.platform == {other!r}:\n    import pydivert\n"
                         "elif sys.platform.startswith('nothing'):\n    import nowhere\n",
    }, installs=("alpha",))
    assert findings(root) == []


def test_a_gate_that_holds_for_the_venv_still_reports(project):
    root = project({
        "requirements.txt": "alpha\n",
        "app.py": "import sys\nimport alpha\nif sys.version_info >= (3, 0):\n    import missing_one\n"
                  "if sys.platform != 'nothing':\n    import missing_two\nelse:\n    import missing_three\n",
    }, installs=("alpha",))
    assert sorted(module_of(f) for f in findings(root)) == ["missing_one", "missing_two"]


def test_a_module_that_is_stdlib_in_a_supported_python_is_stdlib(project):
    root = project({
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\nrequires-python = ">=3.9"\ndependencies = ["alpha"]\n',
        "p/__init__.py": "import alpha\nimport annotationlib\nimport imp\n",
    }, installs=("alpha",))
    assert findings(root) == []


def test_python2_names_outside_an_import_error_fallback_are_still_reported(project):
    root = project({"requirements.txt": "alpha\n", "app.py": "import alpha\nimport urllib2\n"}, installs=("alpha",))
    assert [module_of(f) for f in findings(root)] == ["urllib2"]


def test_local_folders_named_like_a_declared_distribution_are_not_first_party(project):
    root = project({
        "requirements.txt": "alpha\ndelta\n",
        "tests/test_apps/alpha/__init__.py": "",
        "tests/test_apps/beta/__init__.py": "",
        "tests/test_apps/delta/__init__.py": "",
        "app.py": "import alpha\nimport beta\nimport delta\nimport gamma\n",
    }, installs=("alpha",))
    found = [(f["code"], f["package"]) for f in findings(root)]
    assert ("VS201", "delta") in found  # declared, really missing: still said
    assert sorted(module_of(f) for f in findings(root) if f["code"] == "VS301") == ["delta", "gamma"]


def test_setuptools_is_implied_for_a_setup_py_project_and_only_in_setup_py(project):
    root = project({
        "requirements.txt": "alpha\n",
        "setup.py": "import setuptools\nfrom pkg_resources import parse_version\nsetuptools.setup()\n",
        "app.py": "import alpha\nimport pkg_resources\n",
    }, installs=("alpha",))
    assert [(f["file"], module_of(f)) for f in findings(root)] == [("app.py", "pkg_resources")]


GATED_SOURCE = """import sys
if sys.version_info >= (3, 14):
    import annotationlib
elif sys.version_info[:2] == (3, 11):
    import tomllib
else:
    import tomli
if not sys.platform.startswith("linux"):
    import winreg
def f():
    if sys.version_info[0] == 2:
        import urllib2
    x = [1 for y in z]
    try:
        import cPickle as pickle
    except (ValueError, ImportError):
        import pickle
    else:
        import json
if TYPE_CHECKING:
    import a
else:
    import b
"""


@pytest.mark.parametrize("careful", [False, True])
def test_the_scanner_records_gates_and_import_error_fallbacks(careful):
    from venvsense.imports import scan_source
    from venvsense.imports.lexer import scan_careful

    scan = (scan_careful if careful else scan_source)(GATED_SOURCE)
    assert [(s.module, s.gate, s.optional, s.fallback) for s in scan.imports] == [
        ("sys", "", False, False),
        ("annotationlib", "v>=3,14", False, False),
        ("tomllib", "!v>=3,14&v2==3,11", False, False),
        ("tomli", "!v>=3,14&!v2==3,11", False, False),
        ("winreg", "!p^linux", False, False),
        ("urllib2", "m==2", False, False),
        ("cPickle", "", True, False),
        ("pickle", "", False, True),
        ("json", "", True, False),  # the try's else: runs only when `import cPickle` worked
        ("a", "", False, False),
        ("b", "", False, False),
    ]
    assert scan == type(scan)(scan.imports)


def test_a_manifest_edit_naming_a_local_folder_classifies_again(project):
    from venvsense.check import check_project, recheck_manifests
    from venvsense.model import project_at

    root = project({"requirements.txt": "alpha\n", "tests/test_apps/beta/__init__.py": "",
                    "app.py": "import alpha\nimport beta\n"}, installs=("alpha",))
    manifest = root / "requirements.txt"
    first = check_project(project_at(root), environ={})
    assert first.findings == []
    unrelated = recheck_manifests(first, project_at(root), environ={}, overrides={manifest: "alpha\ngamma\n"})
    assert unrelated.usage is first.usage  # a keystroke that names no folder of the project reuses the scan
    named = recheck_manifests(first, project_at(root), environ={}, overrides={manifest: "alpha\nbeta\n"})
    full = check_project(project_at(root), environ={}, overrides={manifest: "alpha\nbeta\n"})
    assert named.findings == full.findings
    assert ("VS301", "beta") in {(f.code, f.package) for f in named.findings}


@pytest.mark.parametrize("venv", [True, False])
def test_vendored_code_imports_are_its_own_projects_to_guard(project, venv: bool) -> None:
    # pip's src/pip/_vendor: msgpack's `from __pypy__ import ...` under `if hasattr(sys, "pypy_version_info")`,
    # urllib3's `import h2` for its opt-in HTTP/2, requests' `import cryptography`: hints, never warnings, and no
    # VS304 (the distribution declared for development is not what the vendored copy needs to be)
    root = project({
        "pyproject.toml": '[project]\nname = "tool"\nversion = "1"\ndependencies = ["alpha"]\n'
                          '[dependency-groups]\ntest = ["cryptography"]\n',
        "src/tool/__init__.py": "import alpha\n",
        "src/tool/_vendor/__init__.py": "",
        "src/tool/_vendor/msgpack/fallback.py": "import sys\nif hasattr(sys, 'pypy_version_info'):\n"
                                                "    from __pypy__ import newlist_hint\n",
        "src/tool/_vendor/urllib3/http2.py": "import h2.config\nimport cryptography\n",
        "src/tool/vendors.py": "import h2\n",  # not a vendored folder: its own code
    }, installs=("alpha",), venv=venv)
    found = findings(root)
    vendored = [f for f in found if "/_vendor/" in str(f["file"])]
    expected = {("src/tool/_vendor/msgpack/fallback.py", "__pypy__"),
                ("src/tool/_vendor/urllib3/http2.py", "h2.config")}
    if venv:  # declared (for tests) but not installed: VS301, lowered; without a venv nothing (it is declared)
        expected.add(("src/tool/_vendor/urllib3/http2.py", "cryptography"))
    assert {(f["file"], module_of(f)) for f in vendored} == expected
    assert {f["severity"] for f in vendored} == {"hint"} and {f["code"] for f in vendored} == {
        "VS301" if venv else "VS302"}
    assert all("in vendored code" in str(f["message"]) for f in vendored)
    (own,) = [f for f in found if f["file"] == "src/tool/vendors.py"]
    assert own["severity"] == ("error" if venv else "warning")


def test_a_hatch_project_tests_with_what_hatch_test_installs(project) -> None:
    # pypa/hatch: tests import pytest, which no file names — `hatch test` installs it (with its plugins and
    # coverage.py) in its `hatch-test` environment, which hatch.toml configures; other environments declare
    # what their scripts and docs import
    files = {
        "pyproject.toml": '[project]\nname = "tool"\nversion = "1"\ndependencies = ["alpha"]\n'
                          '[tool.hatch.envs.docs]\ndependencies = ["mkdocs"]\n',
        "hatch.toml": '[envs.hatch-test]\nextra-dependencies = ["trustme"]\n',
        "src/tool/__init__.py": "import alpha\n",
        "tests/test_tool.py": "import pytest\nimport trustme\nfrom pytest_mock import MockerFixture\n",
        "docs/hooks.py": "import mkdocs\n",
    }
    root = project(files, venv=False)
    assert {f["code"] for f in findings(root)} == {"VS101"}
    # without the environment's table, pytest is what nothing declares
    files["hatch.toml"] = ""
    files["pyproject.toml"] += '[tool.hatch.envs.hatch-test]\ndependencies = ["trustme"]\n'  # replaces hatch's own
    root = project(files, venv=False)
    assert {(f["code"], module_of(f)) for f in findings(root) if f["code"] != "VS101"} == {
        ("VS302", "pytest"), ("VS302", "pytest_mock")}


def test_a_venv_is_never_judged_against_hatch_environments(project) -> None:
    # rq: [tool.hatch.envs.test] lists pytest, mypy, tox…; the project's .venv holds the runtime dependencies and
    # Hatch builds `test` apart from it: no VS201 for the environment's entries, and its tests' pytest is a hint
    root = project({
        "pyproject.toml": '[project]\nname = "tool"\nversion = "1"\ndependencies = ["alpha"]\n'
                          '[tool.hatch.envs.test]\ndependencies = ["pytest", "tomli"]\n',
        "src/tool/__init__.py": "import alpha\n",
        "tests/test_tool.py": "import pytest\nimport tomli\n",
    }, installs=("alpha",))
    found = findings(root)
    assert {(f["code"], f["severity"], module_of(f)) for f in found} == {("VS301", "hint", "pytest"),
                                                                      ("VS301", "hint", "tomli")}
    assert "declared for hatch env 'test', an environment Hatch makes apart from this venv" in found[0]["message"]

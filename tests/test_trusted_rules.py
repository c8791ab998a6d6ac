"""No false alarm from the undeclared/unused rules and project-level noise (issue "Trusted on real projects":
patterns 6, 7, 9, 11, 12, 13, 16, 17 and VS101 once per project): each test builds a small project with real
files and a real venv, runs `venvsense check --format json` and looks at what it says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.projects import findings, project_maker
from support.wheels import build_wheel


def summary(found: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return [(f["code"], f["file"], f["package"]) for f in found]


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
    build_wheel(house, "beta", "1.0")
    build_wheel(house, "py2-user", "1.0", requires=['gamma; python_version < "3.0"'])
    build_wheel(house, "gamma", "1.0")
    build_wheel(house, "uses-beta", "1.0", extras={"fast": ["beta"], "slow": ["gamma"]})
    build_wheel(house, "mytool", "1.0", files={"mytool-1.0.dist-info/entry_points.txt":
                                              "[console_scripts]\nmytool = mytool:main\n"})
    build_wheel(house, "hostplug", "1.0", files={"hostplug-1.0.dist-info/entry_points.txt":
                                                "[pytest11]\nhostplug = hostplug.plugin\n"})
    build_wheel(house, "registers", "1.0", files={"registers-1.0.dist-info/entry_points.txt":
                                                 "[babel.extractors]\nx = registers:x\n"})
    return house


@pytest.fixture
def project(tmp_path: Path, venv_factory: Callable[..., Path], wheels: Path) -> Callable[..., Path]:
    return project_maker(tmp_path / "proj", venv_factory, wheels)


def test_a_declared_but_missing_distribution_provides_its_own_name(project):
    root = project({"requirements.txt": "matplotlib\n", "app.py": "import matplotlib\nimport pylab\n"})
    found = findings(root)
    assert {(f["code"], f["package"]) for f in found} == {("VS201", "matplotlib"), ("VS301", "matplotlib")}
    assert not [f for f in found if f["code"] == "VS303"]


def test_uv_requested_marker_does_not_make_a_dependency_installed_by_hand(project, tmp_path):
    root = project({"requirements.txt": "uses-alpha\n", "app.py": "import uses_alpha\nimport alpha\n"},
                   installs=("uses-alpha", "alpha"))
    for requested in (root / ".venv").glob("lib/python3*/site-packages/alpha-*.dist-info"):
        (requested / "REQUESTED").write_text("", encoding="utf-8")
    [finding] = [f for f in findings(root) if f["code"] == "VS302"]
    assert "only as a dependency of uses-alpha" in str(finding["message"])


def test_type_checking_imports_of_undeclared_packages_are_hints(project):
    root = project({"requirements.txt": "pydantic\n",
                    "app.py": "import pydantic\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    import alpha\n"}, installs=("pydantic", "alpha"))
    [finding] = [f for f in findings(root) if f["code"] == "VS302"]
    assert finding["severity"] == "hint"


def test_the_message_names_the_declaration_that_provides_the_module(project):
    root = project({"pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = []\n'
                                      '[dependency-groups]\ntests = ["pytest", "pytest-asyncio"]\n',
                    "tests/test_x.py": "import pytest\n"})
    [finding] = [f for f in findings(root) if f["code"] == "VS301"]
    assert "declared as pytest in group 'tests'" in str(finding["message"])


def test_either_of_two_distributions_providing_one_module_declares_it(project):
    root = project({"requirements.txt": "x-slim\n", "app.py": "import xmod\n"}, installs=("x", "x-slim"))
    assert [f for f in findings(root) if f["code"] in ("VS302", "VS303")] == []


def test_no_environment_is_reported_once_per_project(project):
    root = project({"requirements.txt": "alpha\n", "requirements-dev.txt": "pydantic\n",
                    "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["tomli"]\n'},
                   venv=False)
    assert [f["code"] for f in findings(root)].count("VS101") == 1


def test_a_nested_project_without_a_venv_uses_the_enclosing_projects(project):
    root = project({"requirements.txt": "alpha\n", "app.py": "import alpha\n",
                    "docs/requirements.txt": "alpha\n", "docs/conf.py": "import alpha\n"}, installs=("alpha",))
    assert findings(root) == []


@pytest.mark.parametrize("lock", [
    {"examples/app/requirements.txt": "# This file is autogenerated by pip-compile with Python 3.11\n"
                                      "pydantic==1.10.0\n    # via -r requirements.in\n"},
    {"examples/app/requirements.txt": "pydantic==1.10.0\n", "examples/app/uv.lock": "version = 1\n"},
])
def test_a_nested_project_that_locks_its_own_environment_does_not_borrow_the_enclosing_venv(project, lock):
    root = project({"requirements.txt": "alpha\n", "app.py": "import alpha\n", **lock,
                    "examples/app/main.py": "import pydantic\n"}, installs=("alpha",))
    found = findings(root)
    assert [(f["code"], f["file"]) for f in found] == [("VS101", "requirements.txt")]


def codes(found: list[dict[str, object]]) -> list[tuple[object, object]]:
    return sorted((f["code"], f["package"]) for f in found)


# 7. a declared but missing distribution: its own name and its case variants are always candidates


def test_a_declared_missing_distribution_in_the_curated_table_still_provides_its_own_name(project):
    root = project({"requirements.txt": "matplotlib\npyArango\n", "app.py": "import matplotlib\nimport pyArango\n"})
    found = findings(root)
    assert codes(found) == [("VS201", "matplotlib"), ("VS201", "pyarango"), ("VS301", "matplotlib"),
                            ("VS301", "pyarango")]
    assert "declared as matplotlib" in str([f["message"] for f in found if f["package"] == "matplotlib"])


def test_a_requirement_whose_marker_is_false_for_the_venv_makes_no_dependency(project):
    root = project({"requirements.txt": "py2-user\ngamma\nbeta\n", "app.py": "import py2_user\nimport alpha\n"},
                   installs=("py2-user", "gamma", "beta", "alpha"))
    found = findings(root)
    assert codes(found) == [("VS302", "alpha"), ("VS303", "beta"), ("VS303", "gamma")]
    [undeclared] = [f for f in found if f["code"] == "VS302"]
    assert "dependency" not in str(undeclared["message"])


# 12. try/except ImportError, like if TYPE_CHECKING, lowers VS302 to a hint


def test_optional_imports_of_undeclared_packages_are_hints(project):
    root = project({"requirements.txt": "pydantic\n",
                    "app.py": "import pydantic\ntry:\n    import alpha\nexcept ImportError:\n    alpha = None\n"},
                   installs=("pydantic", "alpha"))
    [finding] = [f for f in findings(root) if f["code"] == "VS302"]
    assert finding["severity"] == "hint"
    assert "inside try/except ImportError" in str(finding["message"])


def test_an_undeclared_import_outside_such_blocks_stays_a_warning(project):
    root = project({"requirements.txt": "pydantic\n", "app.py": "import pydantic\nimport alpha\n"},
                   installs=("pydantic", "alpha"))
    [finding] = [f for f in findings(root) if f["code"] == "VS302"]
    assert finding["severity"] == "warning"


# 6. used without an import, from installed metadata


def test_commands_plugins_and_libraries_required_by_declared_ones_are_used(project):
    root = project({"requirements.txt": "mytool\nhostplug\nuses-alpha\nalpha\nuses-beta[fast]\nbeta\n",
                    "app.py": "import uses_alpha\nimport uses_beta\n"},
                   installs=("mytool", "hostplug", "uses-alpha", "alpha", "uses-beta", "beta"))
    assert findings(root) == []


def test_a_library_required_only_through_an_extra_the_project_does_not_ask_for_is_unused(project):
    root = project({"requirements.txt": "uses-beta[fast]\ngamma\nregisters\n", "app.py": "import uses_beta\n"},
                   installs=("uses-beta", "beta", "gamma", "registers"))
    assert codes(findings(root)) == [("VS303", "gamma"), ("VS303", "registers")]


# 9. a nested project including its parent's requirements


def test_what_a_nested_project_includes_from_its_parent_is_not_its_unused_dependency(project):
    root = project({"requirements.txt": "alpha\n", "app.py": "import alpha\n",
                    "docs/requirements.txt": "-r ../requirements.txt\npydantic\n", "docs/conf.py": "import pydantic\n"},
                   installs=("alpha", "pydantic"))
    assert findings(root) == []


def test_a_nested_projects_own_unused_declaration_is_still_reported(project):
    root = project({"requirements.txt": "alpha\n", "app.py": "import alpha\n",
                    "docs/requirements.txt": "-r ../requirements.txt\npydantic\n", "docs/conf.py": ""},
                   installs=("alpha", "pydantic"))
    found = findings(root)
    assert [(f["code"], f["file"], f["package"]) for f in found] == [("VS303", "requirements.txt", "pydantic")]


# 16. imports by string


def test_imports_by_string_are_uses(project):
    root = project({"requirements.txt": "alpha\npydantic\ntomli\nbeta\n",
                    "app.py": "import importlib\nmod = importlib.import_module('alpha')\n"
                              "pd = __import__(\"pydantic\")\n",
                    "tests/test_app.py": "import pytest\ntomli = pytest.importorskip('tomli')\n"},
                   installs=("alpha", "pydantic", "tomli", "beta"))
    assert codes(findings(root)) == [("VS301", "pytest"), ("VS303", "beta")]


# 17. a nested project without a venv of its own: the enclosing project's


def test_the_nested_projects_environment_is_the_enclosing_projects(project):
    root = project({"requirements.txt": "alpha\n", "app.py": "import alpha\n",
                    "lib/pyproject.toml": '[project]\nname = "lib"\nversion = "1"\ndependencies = ["pydantic"]\n',
                    "lib/lib/__init__.py": "import pydantic\n"}, installs=("alpha",))
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ["VENVSENSE_CACHE_DIR"] = ""
    result = subprocess.run([sys.executable, "-m", "venvsense", "check", str(root / "lib"), "--format", "json"],
                            capture_output=True, text=True, env=environ, check=False)
    [report] = json.loads(result.stdout)["projects"]
    assert report["environment"]["path"] == str(root / ".venv")
    assert report["environment"]["source"] == "enclosing-project"
    assert codes(report["findings"]) == [("VS201", "pydantic"), ("VS301", "pydantic")]
    assert "not installed in ../.venv" in str([f["message"] for f in report["findings"]])


def test_an_import_declared_only_by_a_set_that_is_not_installed_is_at_the_sets_level(project):
    pyproject = ('[project]\nname = "p"\nversion = "1"\ndependencies = ["alpha"]\n'
                 '[dependency-groups]\ntests = ["pytest"]\n')
    root = project({"pyproject.toml": pyproject, "p/__init__.py": "import alpha\n",
                    "tests/test_x.py": "import pytest\n"}, installs=("alpha",))
    [finding] = [f for f in findings(root) if f["code"] == "VS301"]
    assert (finding["severity"], finding["set"]) == ("warning", "group 'tests'")
    (root / "pyproject.toml").write_text(pyproject + "[tool.venvsense]\nlower-secondary = false\n")
    [finding] = [f for f in findings(root) if f["code"] == "VS301"]
    assert finding["severity"] == "error"


def test_imports_by_string_are_read_from_whole_call_names_with_a_literal_argument(tmp_path):
    from venvsense.imports import scan_file
    from venvsense.rules.imports import string_imports

    source = tmp_path / "m.py"
    source.write_text("import importlib\nimportlib.import_module(name='alpha.sub')\nmy_import_module('beta')\n"
                      "importlib.import_module(variable)\n__import__(\"gamma\")\n")
    other = tmp_path / "n.py"  # no import of importlib or pytest: not read
    other.write_text("__import__('delta')\n")
    assert string_imports({source: scan_file(source), other: scan_file(other)}) == {"alpha.sub", "gamma"}


def test_a_cap_or_a_pin_for_a_tool_that_is_not_installed_is_no_unused_dependency(project, tmp_path, venv_factory,
                                                                                  wheels):
    """FP-12 of the precision benchmark (flake8's docs `docutils!=0.18` beside Sphinx, httpie's `werkzeug<2.1.0`
    beside pytest-httpbin): with the tool not installed, nothing says whether it needs the pinned distribution,
    and a cap or an exclusion is a constraint, not a dependency of the code. A plain declaration nothing uses, in
    the same set, is still reported; with everything declared installed, a cap does not hide an unused one."""
    root = project({
        "requirements.txt": "alpha\n",
        "requirements-docs.txt": "sphinx==9.1.0\ndocutils==0.22.4\nwerkzeug<2.1.0\nlxml!=5.0,<6\nbeta>=1\n",
        "app.py": "import alpha\n",
    }, installs=("alpha==1.0",))
    assert sorted(f["package"] for f in findings(root) if f["code"] == "VS303") == ["beta"]
    installed = project_maker(tmp_path / "all-installed", venv_factory, wheels)(
        {"requirements.txt": "alpha\nbeta<2\n", "app.py": "import alpha\n"}, installs=("alpha==1.0", "beta==1.0"))
    assert sorted(f["package"] for f in findings(installed) if f["code"] == "VS303") == ["beta"]


def test_a_workspace_roots_declaration_that_a_member_imports_is_used(project):
    """The MCP SDK's root `dev` group holds `pillow` for a workspace member's code (`examples/snippets` imports
    PIL): `uv sync` installs the root's groups for the whole workspace, so a member's import is a use. One that
    nothing in the workspace imports is still reported."""
    root = project({
        "pyproject.toml": '[project]\nname = "root"\nversion = "1"\ndependencies = ["alpha"]\n'
                          '[dependency-groups]\ndev = ["beta", "gamma"]\n'
                          '[tool.uv.workspace]\nmembers = ["packages/*"]\n',
        "root/__init__.py": "import alpha\n",
        "packages/member/pyproject.toml": '[project]\nname = "member"\nversion = "1"\ndependencies = []\n',
        "packages/member/member/__init__.py": "from beta import thing\n",
    }, installs=("alpha==1.0",))
    unused = [(f["file"], f["package"]) for f in findings(root) if f["code"] == "VS303"]
    assert unused == [("pyproject.toml", "gamma")]


def test_a_nested_docs_project_importing_its_package_needs_what_the_package_imports(project):
    """scrapy's `docs/requirements.in` declares `h2` for Sphinx autodoc of `scrapy.core.http2`: a nested project
    whose code imports the project around it needs what that project imports. Without the import of the
    enclosing package, the same declaration is unused."""
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\nversion = "1"\ndependencies = ["alpha"]\n',
        "pkg/__init__.py": "import alpha\n",
        "pkg/fast.py": "try:\n    import beta\nexcept ImportError:\n    beta = None\n",
        "docs/requirements.txt": "sphinx\nbeta\ngamma\n",
        "docs/conf.py": "import pkg\nextensions = ['sphinx.ext.autodoc']\n",
    }
    root = project(files, installs=("alpha==1.0",))
    unused = [(f["file"], f["package"]) for f in findings(root / "docs") if f["code"] == "VS303"]
    assert unused == [("requirements.txt", "gamma")]
    (root / "docs" / "conf.py").write_text("extensions = ['sphinx.ext.autodoc']\n")
    unused = [(f["file"], f["package"]) for f in findings(root / "docs") if f["code"] == "VS303"]
    assert unused == [("requirements.txt", "beta"), ("requirements.txt", "gamma")]


def test_a_build_compiler_with_nothing_to_compile_is_unused(project, tmp_path, venv_factory, wheels):
    """Issue "Trusted on real projects", things we missed: `cython` declared with no `.pyx` is reported like any
    unused declaration; with Cython sources in the project it is used."""
    root = project({"requirements.txt": "alpha\ncython\n", "app.py": "import alpha\n"}, installs=("alpha==1.0",))
    assert [f["package"] for f in findings(root) if f["code"] == "VS303"] == ["cython"]
    compiled = project_maker(tmp_path / "compiled", venv_factory, wheels)(
        {"requirements.txt": "alpha\ncython\n", "app.py": "import alpha\n", "fast/speedup.pyx": "def f(): pass\n"},
        installs=("alpha==1.0",))
    assert [f["package"] for f in findings(compiled) if f["code"] == "VS303"] == []


def test_what_documentation_examples_import_is_used_when_the_tests_run_them(project, tmp_path, venv_factory, wheels):
    """scrapy's docs declare `pydantic` for `from pydantic import BaseModel` in a code block of an .rst page that
    its sybil-based conftest runs: a use. Without a documentation runner, prose is not code."""
    files = {
        "requirements.txt": "sphinx\nsybil\nbeta\ngamma\n",
        "conf.py": "extensions = []\n",
        "conftest.py": "from sybil import Sybil\n",
        "topics/items.rst": "Items\n=====\n\n.. code-block:: python\n\n    from beta import BaseModel\n\n"
                            "Prose that says import gamma is not code.\n",
    }
    root = project(files)
    assert [f["package"] for f in findings(root) if f["code"] == "VS303"] == ["gamma"]
    files["conftest.py"] = "import pytest\n"
    plain = project_maker(tmp_path / "plain", venv_factory, wheels)(files)
    assert [f["package"] for f in findings(plain) if f["code"] == "VS303"] == ["sybil", "beta", "gamma"]

"""What a project declares, read on real-project patterns (issue "Trusted on real projects", patterns 8, 10, 15,
18): each test builds a small project with real files (and a real venv with real wheels where it matters), runs
``venvsense check --format json`` or the engine, and looks at what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.projects import findings
from support.wheels import build_wheel
from venvsense.model import project_at, read_model


def codes(found: list[dict[str, object]]) -> set[tuple[object, object]]:
    """(code, package) of each finding, leaving out what ``setup.py``'s own ``import setuptools`` gives (the
    build requirement, another pattern)."""
    return {(f["code"], f["package"]) for f in found if f["package"] != "setuptools"}


def start(finding: dict[str, object]) -> tuple[int, int]:
    where = finding["range"]
    assert isinstance(where, dict)
    return where["start"]["line"], where["start"]["column"]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("trusted-declarations-wheels")
    build_wheel(house, "alpha", "1.0")
    build_wheel(house, "pydantic", "1.10.0")
    build_wheel(house, "tomli", "2.0.1")
    build_wheel(house, "x", "1.0", modules=["xmod"])
    build_wheel(house, "demo", "1.0", modules=["demo"], requires=["alpha", 'tomli; extra == "toml"'],
                extras={})
    return house



# --- pattern 8: VS205 only where both markers can hold for one environment ----------------------------------


def test_mutually_exclusive_markers_are_not_a_conflict(project):
    root = project({
        "requirements.txt": 'pydantic<2; python_version < "3.0"\npydantic>=2; python_version >= "3.0"\n',
    }, venv=False)
    assert "VS205" not in [f["code"] for f in findings(root)]


def test_identical_declarations_with_different_specifiers_without_markers_still_conflict(project):
    root = project({"requirements.txt": "pydantic<2\n", "requirements-dev.txt": "pydantic>=2\n"}, venv=False)
    assert "VS205" in [f["code"] for f in findings(root)]


def test_markers_are_judged_for_the_venvs_environment(project):
    exclusive = 'pydantic<2; python_version < "3.0"\npydantic>=2; python_version >= "3.0"\n'
    # different markers that both hold in the venv: one environment gets both declarations
    both = 'pydantic<2; python_version >= "3.0"\npydantic>=2; sys_platform != "no-such-platform"\n'
    root = project({"requirements.txt": exclusive, "app.py": "import pydantic\n"}, installs=("pydantic",))
    assert "VS205" not in [f["code"] for f in findings(root)]
    (root / "requirements.txt").write_text(both, encoding="utf-8")
    conflicts = [f for f in findings(root) if f["code"] == "VS205"]
    assert [start(f) for f in conflicts] == [(2, 1)]
    # without the venv the same pair is no known conflict: the markers differ and neither is absent
    assert "VS205" not in [f["code"] for f in findings(root, "--venv", str(root / "no-venv-here"))]


# --- pattern 10: a constraints file is not a requirements file ----------------------------------------------


def test_a_constraints_file_that_nothing_includes_is_not_read_as_requirements(project):
    root = project({"requirements.txt": "alpha\n", "constraints.txt": "alpha<2\nbeta==1\n",
                    "app.py": "import alpha\n"}, installs=("alpha",))
    assert findings(root) == []


def test_a_constraints_file_in_a_requirements_folder_is_read_only_through_its_include(project):
    root = project({"requirements/base.txt": "alpha\n", "requirements/constraints.txt": "alpha<2\nbeta==1\n",
                    "requirements/pinned.txt": "-c constraints.txt\nalpha\n", "app.py": "import alpha\n"},
                   installs=("alpha",))
    assert findings(root) == []
    # read through -c it is a constraint: alpha 1.0 does not meet alpha<1
    (root / "requirements" / "constraints.txt").write_text("alpha<1\nbeta==1\n", encoding="utf-8")
    assert codes(findings(root)) == {("VS202", "alpha")}


# --- pattern 15: setup.py read statically ------------------------------------------------------------------

SETUP_PY = '''\
import os
from setuptools import setup, find_packages

here = os.path.abspath(os.path.dirname(__file__))
INSTALL_REQUIRES = ["alpha>=1"]
INSTALL_REQUIRES += ['pydantic<2; python_version >= "3"']
INSTALL_REQUIRES.extend(["beta"])
with open(os.path.join(here, "requirements.txt")) as f:
    FROM_FILE = f.read().splitlines()
EXTRAS = {"toml": ["tomli"]}
EXTRAS["docs"] = ["gamma"]

setup(
    name="demo-app",
    python_requires=">=3.8",
    install_requires=INSTALL_REQUIRES + FROM_FILE,
    extras_require=EXTRAS,
    packages=find_packages(),
)
'''


def test_setup_py_is_read_statically(project):
    root = project({
        "setup.py": SETUP_PY,
        "requirements.txt": "x\n",
        "demo_app/__init__.py": "import alpha\nimport pydantic\nimport tomli\nimport xmod\n",
    }, installs=("alpha", "pydantic", "tomli", "x"))
    found = findings(root)
    # beta (main) and gamma (an extra) are declared, not installed and not imported; nothing imported is
    # "not declared"
    assert codes(found) == {("VS201", "beta"), ("VS201", "gamma"), ("VS303", "beta"), ("VS303", "gamma")}
    beta = next(f for f in found if f["package"] == "beta" and f["code"] == "VS201")
    assert (beta["file"], start(beta), beta["severity"]) == ("setup.py", (7, 27), "error")
    gamma = next(f for f in found if f["package"] == "gamma" and f["code"] == "VS201")
    assert (start(gamma), gamma["set"]) == ((11, 20), "extra 'docs'")


def test_setup_py_is_never_run_and_an_undeclared_import_is_still_reported(project, tmp_path):
    marker = tmp_path / "ran"
    root = project({
        "setup.py": f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
                    "from setuptools import setup\nsetup(name='p', install_requires=['alpha'])\n",
        "p/__init__.py": "import alpha\nimport xmod\n",
    }, installs=("alpha", "x"))
    assert codes(findings(root)) == {("VS302", "x")}
    assert not marker.exists()


def test_computed_setup_py_values_are_one_information_finding_and_the_rest_is_checked(project):
    root = project({
        "setup.py": "from setuptools import setup\n\ndef requirements():\n    return ['alpha']\n\n"
                    "setup(name='p', install_requires=requirements() + ['beta'])\n",
        "p/__init__.py": "import alpha\n",
    }, installs=("alpha",))
    found = [f for f in findings(root) if f["package"] != "setuptools"]
    dynamic = [f for f in found if f["code"] == "VS209"]
    assert [(f["severity"], start(f)) for f in dynamic] == [("information", (6, 1))]
    assert "requirements()" in str(dynamic[0]["message"])
    assert ("VS201", "beta") in codes(found)
    # "not declared" cannot be known while some declarations are computed: no VS302 for `alpha`
    assert "VS302" not in [f["code"] for f in found]
    model = read_model(project_at(root))
    assert model.declarations_incomplete
    assert [d.name for d in model.declarations] == ["beta"]


def test_an_installed_setup_py_project_with_computed_values_declares_its_metadata(project):
    root = project({
        "setup.py": "from setuptools import setup\nfrom build_helpers import requirements\n\n"
                    "setup(name='demo', install_requires=requirements())\n",
        "demo_src/__init__.py": "import alpha\n",
    }, installs=("demo", "alpha"))
    assert "VS209" not in [f["code"] for f in findings(root)]
    model = read_model(project_at(root))
    assert not model.declarations_incomplete
    assert {(d.name, d.group, d.range.start.line) for d in model.declarations} == {
        ("alpha", "main", 3), ("tomli", "toml", 3)}


def test_setup_cfg_file_directive_is_read(project):
    root = project({"setup.cfg": "[metadata]\nname = p\n[options]\ninstall_requires = file: deps.txt\n",
                    "deps.txt": "alpha\n", "p/__init__.py": "import alpha\nimport xmod\n"},
                   installs=("alpha", "x"))
    assert codes(findings(root)) == {("VS302", "x")}


# --- pattern 18: [project] dynamic dependencies -------------------------------------------------------------

DYNAMIC = '[project]\nname = "demo"\nversion = "1"\ndynamic = ["dependencies", "optional-dependencies"]\n'


def test_setuptools_dynamic_dependencies_are_read_from_their_files(project):
    root = project({
        "pyproject.toml": DYNAMIC + '\n[tool.setuptools.dynamic]\ndependencies = {file = ["deps/runtime.txt"]}\n'
                                    'optional-dependencies.toml = {file = ["deps/toml.txt"]}\n',
        "deps/runtime.txt": "alpha\nbeta\n",
        "deps/toml.txt": "tomli\n",
        "demo/__init__.py": "import alpha\nimport tomli\n",
    }, installs=("alpha", "tomli"))
    found = findings(root)
    assert codes(found) == {("VS201", "beta"), ("VS303", "beta")}
    assert {f["file"] for f in found} == {"deps/runtime.txt"}


def test_hatch_requirements_txt_hook_is_read(project):
    root = project({
        "pyproject.toml": DYNAMIC.replace(', "optional-dependencies"', "")
        + '\n[tool.hatch.metadata.hooks.requirements_txt]\nfiles = ["deps/runtime.txt"]\n',
        "deps/runtime.txt": "alpha\n",
        "demo/__init__.py": "import alpha\nimport xmod\n",
    }, installs=("alpha", "x"))
    assert codes(findings(root)) == {("VS302", "x")}


def test_an_installed_dynamic_project_declares_its_metadata(project):
    root = project({"pyproject.toml": DYNAMIC, "demo_src/__init__.py": "import alpha\nimport tomli\n"},
                   installs=("demo", "alpha"))
    found = findings(root)
    # tomli (extra 'toml' of the installed demo) is declared, not installed: VS301 at most, never VS302
    assert ("VS302", "tomli") not in codes(found) and ("VS302", "alpha") not in codes(found)
    model = read_model(project_at(root))
    assert not model.declarations_incomplete
    assert {(d.name, d.group, d.range.start.line) for d in model.declarations} == {
        ("alpha", "main", 3), ("tomli", "toml", 3)}


def test_unresolved_dynamic_dependencies_are_one_information_finding(project):
    root = project({"pyproject.toml": DYNAMIC, "demo/__init__.py": "import alpha\n"}, installs=("alpha",))
    dynamic = [f for f in findings(root) if f["code"] == "VS209"]
    assert [(f["severity"], f["file"], start(f)) for f in dynamic] == [("information", "pyproject.toml", (4, 13))]
    assert read_model(project_at(root)).declarations_incomplete

"""tox.ini's ``deps`` (``declarations.tox``): what tox installs for the tests it runs declares their imports
(sentry-python declares its tests' ``responses``, ``docker``… there only), in sets tox installs apart from the
project's venv: never judged against it, never unused, never in conflict. Real files, the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.projects import findings, module_of, write
from support.wheels import build_wheel
from venvsense.declarations.tox import read_tox_ini
from venvsense.model import project_at, read_model
from venvsense.model.scopes import development_only

TOX_INI = """\
[tox]
envlist = py{38,39}-django{32,40}, lint

[base]
deps = pytest

[testenv]
deps =
    # the tests' tools
    {[base]deps}
    -r requirements-test.txt
    responses>=0.20  # mocked HTTP
    py38: importlib-metadata
    !py38,django32: Django~=3.2.0
    django40: Django>=4.0,<4.1
    django{32,40}: pytest-django
    docker
commands = pytest {posargs}

[testenv:lint]
deps = ruff
skip_install = true

[flake8]
deps = not-a-tox-environment
"""


def test_each_environment_is_a_development_set_of_its_own(tmp_path: Path) -> None:
    path = write(tmp_path, {"tox.ini": TOX_INI}) / "tox.ini"
    manifest = read_tox_ini(path)
    assert manifest.findings == []
    found = [(d.name, d.specifier, d.declaration_set, d.range.start.line, d.range.start.column)
             for d in manifest.declarations]
    assert found == [
        ("responses", ">=0.20", "tox env 'testenv'", 11, 4),
        ("importlib-metadata", "", "tox env 'testenv'", 12, 10),
        ("Django", "~=3.2.0", "tox env 'testenv'", 13, 20),
        ("Django", "<4.1,>=4.0", "tox env 'testenv'", 14, 14),
        ("pytest-django", "", "tox env 'testenv'", 15, 19),
        ("docker", "", "tox env 'testenv'", 16, 4),
        ("ruff", "", "tox env 'lint'", 20, 7),
    ]
    lines = TOX_INI.splitlines()
    assert all(lines[d.range.start.line][d.range.start.column:d.range.end.column] == d.requirement
               for d in manifest.declarations)
    assert all(development_only(d, tmp_path) and not d.primary for d in manifest.declarations)


def test_an_unreadable_or_binary_tox_ini_declares_nothing(tmp_path: Path) -> None:
    (tmp_path / "tox.ini").write_bytes(b"\xff\xfe[testenv]\x00deps = a\n")
    assert read_tox_ini(tmp_path / "tox.ini").declarations == []
    assert read_tox_ini(tmp_path / "missing.ini").findings == []


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("tox-wheels")
    build_wheel(house, "runlib", "1.0")
    build_wheel(house, "responses", "0.25.0")
    return house


def test_the_tests_imports_declared_in_tox_ini(project) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "sdk"\nversion = "1"\ndependencies = ["runlib"]\n',
        "tox.ini": TOX_INI,
        "sdk/__init__.py": "import runlib\n",
        "tests/test_sdk.py": "import responses\nimport docker\nimport django\nimport pytest_django\nimport ruff\n",
    }
    root = project(files, venv=False)
    # declared (for tox's environments): no VS302; no VS303 for tox's tools; no VS205 between two environments
    assert {f["code"] for f in findings(root)} == {"VS101"}
    model = read_model(project_at(root))
    assert any(d.declaration_set == "tox env 'lint'" for d in model.declarations)
    # with a venv holding the runtime dependencies (and one of the test tools): nothing said about tox's sets
    # (tox makes them apart); what the venv lacks for the tests is a hint
    root = project(files, installs=("runlib", "responses"))
    found = findings(root)
    assert not [f for f in found if f["code"] in ("VS201", "VS202", "VS203", "VS205", "VS303")]
    assert {(f["code"], f["severity"], module_of(f)) for f in found} == {
        ("VS301", "hint", "docker"), ("VS301", "hint", "django"), ("VS301", "hint", "pytest_django"),
        ("VS301", "hint", "ruff")}
    assert "declared for tox env 'testenv', an environment tox makes apart from this venv" in found[0]["message"]

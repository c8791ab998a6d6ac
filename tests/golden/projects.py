"""Fixture projects for the golden test: real files, real venvs filled from wheels built here.

Each project is a dict of files plus the wheels to install into its ``.venv`` (``None``: no venv). Together
they touch every finding family (environment, declarations, imports) and every manifest format, so that a
change that alters any output shows up in ``test_golden.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from support.wheels import build_wheel, make_venv, pip_install


@dataclass(frozen=True)
class Wheel:
    name: str
    version: str
    requires: tuple[str, ...] = ()
    extras: tuple[tuple[str, tuple[str, ...]], ...] = ()
    modules: tuple[str, ...] | None = None


WHEELS = (
    Wheel("alpha", "1.0"),
    Wheel("alpha", "2.0"),
    Wheel("beta", "1.0", requires=("alpha>=2",)),
    Wheel("gamma", "1.0", extras=(("fast", ("beta>=1",)),)),
    Wheel("delta", "3.0", requires=("missing-dep>=1",)),
    Wheel("PyYAML", "6.0.1", modules=("yaml",)),
    Wheel("requests", "2.32.3"),
    Wheel("pytest", "8.0.0", modules=("pytest", "_pytest")),
    Wheel("attrs", "23.1.0", modules=("attr", "attrs")),
    Wheel("unused-lib", "1.0"),
)


@dataclass(frozen=True)
class Fixture:
    files: dict[str, str]
    installs: tuple[str, ...] | None = ()  # requirements installed into <root>/.venv; None = no venv
    venv: str = ".venv"
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)  # nested folder -> its own venv's installs


PROJECTS: dict[str, Fixture] = {
    "reqs": Fixture(
        files={
            "requirements.txt": (
                "# runtime\n-r requirements-base.txt\n-c constraints.txt\n"
                "alpha==1.0\nbeta>=1 ; python_version >= '3.0'\ngamma[fast]==1.0\ndelta\n"
                "not a valid line!!\nrequests==2.7.1\n--index-url https://mirror.example/simple\n"
                "missing-pkg>=2\n"
            ),
            "requirements-base.txt": "PyYAML>=6\nalpha>=0.5\n",
            "constraints.txt": "alpha<2\nrequests<2.0\n",
            "requirements-dev.txt": "-r requirements.txt\npytest==7.0\nunused-lib\n",
            ".python-version": "3.9.1\n",
            "app/__init__.py": "",
            "app/main.py": (
                "import os\nimport sys\nimport yaml\nimport alpha\nfrom beta import thing\n"
                "import requests\nimport notdeclared\nfrom . import helpers\nfrom .helpers import x\n"
                "try:\n    import ujson as json\nexcept ImportError:\n    import json\n"
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import typestuff\n"
                "import app.helpers\n"
            ),
            "app/helpers.py": "x = 1\n",
            "tests/test_main.py": "import pytest\nimport gamma\nimport attr\n",
        },
        installs=("alpha==2.0", "beta==1.0", "gamma==1.0", "delta==3.0", "PyYAML==6.0.1", "requests==2.32.3",
                  "attrs==23.1.0"),
    ),
    "pep621": Fixture(
        files={
            "pyproject.toml": (
                '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
                '[project]\nname = "pep621-app"\nversion = "0.1"\nrequires-python = ">=3.12"\n'
                'dependencies = [\n  "alpha>=2",\n  "requests==2.31.0",\n  "PyYAML",\n  "beta[nope]",\n'
                '  "bad requirement here (",\n]\n\n'
                '[project.optional-dependencies]\nfast = ["gamma[fast]"]\ndocs = ["unused-lib"]\n\n'
                '[dependency-groups]\ndev = ["pytest>=8", {include-group = "lint"}]\nlint = ["attrs"]\n\n'
                '[tool.venvsense]\nseverity = { VS303 = "hint" }\nknown-first-party = ["localthing"]\n'
            ),
            "src/pep621_app/__init__.py": (
                "import alpha\nimport yaml\nimport requests\nimport localthing\nimport pep621_app.sub\n"
                "import missingmod\n"
            ),
            "src/pep621_app/sub.py": "from pep621_app import helpers\n",
            "tests/test_it.py": "import pytest\nimport attr\n",
        },
        installs=("alpha==2.0", "requests==2.32.3", "PyYAML==6.0.1", "beta==1.0", "pytest==8.0.0"),
    ),
    "poetry": Fixture(
        files={
            "pyproject.toml": (
                '[tool.poetry]\nname = "poetry-app"\nversion = "0.1.0"\n\n'
                '[tool.poetry.dependencies]\npython = "^3.8"\nalpha = "^1.0"\nrequests = {version = "~2.32"}\n'
                'gamma = {version = "*", extras = ["fast"], optional = true}\n\n'
                '[tool.poetry.group.dev.dependencies]\npytest = ">=7"\n\n'
                '[tool.poetry.extras]\nfast = ["gamma"]\n'
            ),
            "poetry_app/__init__.py": "import alpha\nimport requests\nimport yaml\n",
        },
        installs=("alpha==2.0", "requests==2.32.3", "PyYAML==6.0.1"),
    ),
    "uvproj": Fixture(
        files={
            "pyproject.toml": (
                '[project]\nname = "uvproj"\nversion = "0.1"\ndependencies = ["alpha", "attrs"]\n\n'
                '[tool.uv]\ndev-dependencies = ["pytest"]\n\n[tool.uv.sources]\nalpha = { path = "../alpha" }\n'
            ),
            "uvproj.py": "import alpha\nimport attr\nimport attrs\n",
        },
        installs=None,
    ),
    "uvlock": Fixture(
        files={
            "pyproject.toml": (
                '[project]\nname = "uvlock"\nversion = "0.1"\nrequires-python = ">=3.8"\n'
                'dependencies = ["alpha>=1", "requests", "attrs"]\n\n[dependency-groups]\ndev = ["pytest"]\n'
            ),
            "uv.lock": (
                'version = 1\nrevision = 3\nrequires-python = ">=3.8"\n\n'
                '[[package]]\nname = "alpha"\nversion = "2.0"\nsource = { registry = "https://pypi.org/simple" }\n\n'
                '[[package]]\nname = "pytest"\nversion = "8.0.0"\nsource = { registry = "https://pypi.org/simple" }\n\n'
                '[[package]]\nname = "requests"\nversion = "2.32.3"\n'
                'source = { registry = "https://pypi.org/simple" }\n\n'
                '[[package]]\nname = "uvlock"\nversion = "0.1"\nsource = { virtual = "." }\n'
                'dependencies = [\n    { name = "alpha" },\n    { name = "requests" },\n]\n\n'
                '[package.dev-dependencies]\ndev = [\n    { name = "pytest" },\n]\n\n'
                '[package.metadata]\nrequires-dist = [\n    { name = "alpha", specifier = ">=1" },\n'
                '    { name = "requests" },\n]\n\n'
                '[package.metadata.requires-dev]\ndev = [{ name = "pytest" }]\n'
            ),
            "uvlock.py": "import alpha\nimport requests\n",
        },
        installs=("alpha==1.0", "requests==2.32.3", "unused-lib"),
    ),
    "setupcfg": Fixture(
        files={
            "setup.cfg": (
                "[metadata]\nname = cfgapp\n\n[options]\npython_requires = >=3.8\ninstall_requires =\n"
                "    alpha>=2\n    requests\n    broken ==(\n\n[options.extras_require]\ntest =\n    pytest\n"
            ),
            "cfgapp/__init__.py": "import alpha\nimport requests\nimport delta\n",
        },
        installs=("alpha==2.0", "delta==3.0"),
    ),
    "nested": Fixture(
        files={
            "requirements.txt": "alpha==2.0\n",
            "main.py": "import alpha\nimport yaml\n",
            "docs/requirements.txt": "-r ../requirements.txt\nattrs\n",
            "docs/conf.py": "import attr\nimport alpha\n",
            "lib/pyproject.toml": '[project]\nname = "lib"\nversion = "1"\ndependencies = ["requests"]\n',
            "lib/lib/__init__.py": "import requests\n",
        },
        installs=("alpha==2.0", "PyYAML==6.0.1"),
    ),
    "broken": Fixture(
        files={
            "pyproject.toml": '[project\nname = "x"\n',
            "requirements.txt": "-r missing.txt\n-r requirements.txt\nalpha\n",
            "x.py": "import alpha\n",
        },
        installs=(),
        venv="env",
    ),
}


def build_wheels(house: Path) -> Path:
    for wheel in WHEELS:
        build_wheel(house, wheel.name, wheel.version, requires=wheel.requires,
                    extras={k: v for k, v in wheel.extras}, modules=wheel.modules)
    return house


def build(base: Path, house: Path) -> dict[str, Path]:
    """Write every fixture under ``base`` and make its venv; return name -> project root."""
    roots = {}
    for name, fixture in PROJECTS.items():
        root = base / name
        for relative, text in fixture.files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if fixture.installs is not None:
            venv = make_venv(root / fixture.venv)
            if fixture.installs:
                pip_install(venv, *fixture.installs, find_links=house, args=("--no-deps",))
        roots[name] = root
    return roots

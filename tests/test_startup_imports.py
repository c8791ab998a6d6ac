"""Start-up: what importing the engine and running a common check load, and what they must not.

Issue 13 ("Fast on real trees"): on a small tree the start-up is nearly the whole warm run. The modules below
are imported on the path that needs them only (the package index client for VS210 and completion, the readers
of the rarer manifests, a notebook's pip line reader); these tests hold that without timing anything: a fresh
interpreter imports ``venvsense.check`` (or runs a whole check) and prints ``sys.modules``. A later module-level
import that brings one back fails here, with the module named. Each deferred reader is also run in a fresh
process of its own, so a lazy import that went wrong fails as a check, not only as a list.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.projects import write

# never needed to import the engine, nor to check a project with a pyproject.toml and requirements file
DEFERRED = (
    # the package index client: VS210 (off unless checkOutdated) and the language server's completion
    "venvsense.index", "venvsense.index.client", "venvsense.index.simple", "venvsense.index.cache",
    "venvsense.index.sources", "urllib.request", "http.client", "email.parser", "email.message", "ssl",
    "html.parser", "concurrent.futures", "tempfile",
    # a notebook's `%pip install` line reader: on a notebook's first %/! line
    "venvsense.imports.pipline",
    # readers of the rarer manifests: when the project has one
    "venvsense.declarations.setuppy", "venvsense.declarations.setupcfg", "venvsense.declarations.pipfile",
    "venvsense.declarations.pyproject.poetry", "venvsense.declarations.pythonversion",
    # RECORD files (csv): read on a cold look at a venv only
    "csv",
)
# nor to import the engine (a project with `[dependency-groups]` loads it: the test project below has them)
NOT_AT_IMPORT = (*DEFERRED, "dependency_groups")


def _modules(code: str, *, cwd: Path | None = None, env: dict[str, str] | None = None) -> set[str]:
    """``sys.modules`` after running ``code`` in a fresh interpreter (its last stdout line, as JSON)."""
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ.update(env or {})
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ, cwd=cwd,
                            check=False)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


_CHECK = """
import json, runpy, sys
sys.argv = ["venvsense", "check", {path!r}, "--format", "json"]
try:
    runpy.run_module("venvsense", run_name="__main__")
except SystemExit as done:
    assert done.code in (0, 1), done.code
print()
print(json.dumps(sorted(sys.modules)))
"""


def _check_modules(root: Path, tmp_path: Path) -> set[str]:
    """``sys.modules`` after a whole ``venvsense check ROOT`` (the CLI, its disk cache) in a fresh interpreter."""
    return _modules(_CHECK.format(path=str(root)), env={"VENVSENSE_CACHE_DIR": str(tmp_path / "cache")})


def test_importing_the_engine_loads_none_of_the_deferred_modules() -> None:
    loaded = _modules("import json, sys, venvsense.check; print(json.dumps(sorted(sys.modules)))")
    assert "venvsense.check" in loaded and "venvsense.rules.outdated" in loaded  # the engine was imported
    assert sorted(m for m in NOT_AT_IMPORT if m in loaded) == []


def test_a_common_check_loads_none_of_the_deferred_modules(tmp_path: Path) -> None:
    root = write(tmp_path / "app", {
        "pyproject.toml": '[project]\nname = "app"\nversion = "1"\nrequires-python = ">=3.9"\n'
                          'dependencies = ["requests>=2", "rich; python_version >= \'3.8\'"]\n'
                          '[dependency-groups]\ndev = ["pytest"]\n',
        "requirements.txt": "requests>=2\n",
        "app/__init__.py": "import requests\nimport rich\n",
        "tests/test_app.py": "import pytest\nimport app\n",
        "notes.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": "import requests\n"}],
                                   "nbformat": 4, "nbformat_minor": 5}),
    })
    for run in ("cold", "warm"):  # the second run reads the scans from the disk cache
        loaded = _check_modules(root, tmp_path)
        assert "venvsense.rules.imports" in loaded, run  # the check ran
        assert sorted(m for m in DEFERRED if m in loaded) == [], run


@pytest.mark.parametrize(("files", "module", "code"), [
    ({"setup.py": "from setuptools import setup\nsetup(name='app', install_requires=['requests'])\n"},
     "venvsense.declarations.setuppy", "VS201"),
    ({"setup.cfg": "[metadata]\nname = app\n[options]\ninstall_requires =\n    requests\n"},
     "venvsense.declarations.setupcfg", "VS201"),
    ({"Pipfile": '[packages]\nrequests = "*"\n'}, "venvsense.declarations.pipfile", "VS201"),
    ({"pyproject.toml": '[tool.poetry]\nname = "app"\nversion = "1"\n'
                        '[tool.poetry.dependencies]\npython = "^3.9"\nrequests = "^2.31"\n'},
     "venvsense.declarations.pyproject.poetry", "VS201"),
    ({"requirements.txt": "requests\n", "notes.ipynb": json.dumps({"cells": [
        {"cell_type": "code", "source": "%pip install rich\nimport rich\n"}], "nbformat": 4, "nbformat_minor": 5})},
     "venvsense.imports.pipline", "VS305"),
], ids=["setup.py", "setup.cfg", "Pipfile", "poetry", "notebook-pip"])
def test_a_deferred_reader_is_imported_and_read_when_the_project_needs_it(
        tmp_path: Path, venv_factory: Callable[..., Path], files: dict[str, str], module: str, code: str) -> None:
    root = write(tmp_path / "app", files)
    venv_factory(".venv", parent=root)  # an empty venv: each declaration is VS201 (not installed)
    loaded = _check_modules(root, tmp_path)
    assert module in loaded
    result = subprocess.run([sys.executable, "-m", "venvsense", "check", str(root), "--format", "json"],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "VENVSENSE_CACHE_DIR": ""})
    codes = {f["code"] for p in json.loads(result.stdout)["projects"] for f in p["findings"]}
    assert code in codes, result.stdout


def test_the_package_index_reads_its_cache_without_the_http_client(tmp_path: Path) -> None:
    """The language server imports ``venvsense.index`` for completion at start; urllib.request (http.client,
    email, ssl, socket) comes with the first request only. A cached answer is read without it."""
    code = """
import json, sys, time
from pathlib import Path
from venvsense.index import DiskCache, Entry
cache = DiskCache(Path({folder!r}))
url = "https://pypi.org/simple/demo/"
cache.store(url, Entry(url, "{{}}", "", None, None, time.time()))
assert cache.load(url) is not None
print(json.dumps(sorted(sys.modules)))
""".format(folder=str(tmp_path / "index"))
    loaded = _modules(code)
    assert "venvsense.index.client" in loaded
    assert sorted(m for m in ("urllib.request", "http.client", "ssl", "email.parser", "socket") if m in loaded) == []

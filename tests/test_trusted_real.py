"""No false alarm at error on the patterns the precision benchmark found on real projects (issue 11,
benchmarks/precision: FP-1, 4-8, 11, 14-19, MISS-1): each test builds a small project with real files and a
real venv, runs `venvsense check --format json` and looks at the severity and wording of what it says; each
also keeps a true finding beside the pattern, so the rule cannot be "say nothing"."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.projects import findings, module_of, write
from support.wheels import build_wheel, make_project, pip_install


def by_module(found: list[dict[str, object]], code: str = "VS301") -> dict[str, dict[str, object]]:
    return {f"{f['file']}:{module_of(f)}": f for f in found if f["code"] == code}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("trusted-real-wheels")
    build_wheel(house, "alpha", "1.0")
    return house



def test_a_declaration_whose_marker_is_false_for_the_venv_is_never_an_error_nor_unused(project):
    # FP-4 (scrapy brotlicffi on PyPy only), FP-11 (httpie colorama on win32 only), FP-7/FP-10 (VS303)
    root = project({
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\n'
                          'dependencies = ["alpha", "winonly; sys_platform == \'nothing\'",\n'
                          '  "pypyonly; implementation_name == \'nothing\'",\n'
                          '  "unusedwin; sys_platform == \'nothing\'",\n'
                          '  "needed; sys_platform != \'nothing\'"]\n',
        "p/__init__.py": "import alpha\nimport winonly.initialise\nimport pypyonly\nimport needed\n",
    }, installs=("alpha",))
    found = findings(root)
    missing = by_module(found)
    assert missing["p/__init__.py:winonly.initialise"]["severity"] == "hint"
    assert 'declared for sys_platform == "nothing" only' in str(missing["p/__init__.py:winonly.initialise"]["message"])
    assert missing["p/__init__.py:pypyonly"]["severity"] == "hint"
    assert missing["p/__init__.py:needed"]["severity"] == "error"  # its marker holds: really missing
    assert [f for f in found if f["code"] == "VS303"] == []  # unusedwin cannot be judged on this platform


def test_an_import_error_fallback_is_a_hint(project):
    # FP-14 (seaborn typing_extensions), FP-23 (black tomli)
    root = project({
        "requirements.txt": "alpha\n",
        "app.py": "import alpha\ntry:\n    from typing import Literal\nexcept ImportError:\n"
                  "    from typing_extensions import Literal\nimport unguarded_missing\n",
    }, installs=("alpha",))
    missing = by_module(findings(root))
    assert missing["app.py:typing_extensions"]["severity"] == "hint"
    assert "fallback" in str(missing["app.py:typing_extensions"]["message"])
    assert missing["app.py:unguarded_missing"]["severity"] == "error"


def test_a_module_the_project_treats_as_optional_somewhere_is_no_error_elsewhere(project):
    # FP-6 (scrapy pygments after `except ImportError: return`), FP-15 (botocore after find_spec, fastcluster)
    root = project({
        "requirements.txt": "alpha\n",
        "app/__init__.py": "import alpha\n",
        "app/display.py": "def colour(text):\n    try:\n        from pygments import highlight\n"
                          "    except ImportError:\n        return text\n"
                          "    from pygments.lexers import PythonLexer\n    return highlight(text, PythonLexer())\n",
        "app/boto.py": "from importlib.util import find_spec\n\n"
                       "def is_botocore_available():\n    return find_spec('botocore') is not None\n",
        "app/s3.py": "class Handler:\n    def __init__(self):\n        import botocore.session\n",
        "app/plain.py": "import never_guarded\n",
    }, installs=("alpha",))
    missing = by_module(findings(root))
    assert missing["app/display.py:pygments"]["severity"] == "hint"  # inside the try
    assert missing["app/display.py:pygments.lexers"]["severity"] == "hint"
    assert "optional" in str(missing["app/display.py:pygments.lexers"]["message"])
    assert missing["app/s3.py:botocore.session"]["severity"] == "hint"
    assert missing["app/plain.py:never_guarded"]["severity"] == "error"


def test_a_module_named_like_its_declared_distribution_in_another_case_is_declared(project):
    # FP-5 (scrapy `import IPython` with ipython in extra 'ipython')
    root = project({
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["alpha"]\n'
                          '[project.optional-dependencies]\nshell = ["ipython>=8"]\n',
        "p/__init__.py": "import alpha\n\ndef start():\n    from IPython.terminal.embed import InteractiveShellEmbed\n",
    }, installs=("alpha",))
    found = findings(root)
    [ipython] = [f for f in found if f["code"] == "VS301"]
    assert "declared as ipython>=8 in extra 'shell'" in str(ipython["message"])
    assert ipython["severity"] != "error"
    assert [f for f in found if f["code"] == "VS303"] == []


def test_griffelib_provides_griffe(project):
    # FP-19 (python-sdk: group 'docs' griffelib, `import griffe`)
    root = project({
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["alpha"]\n'
                          '[dependency-groups]\ndocs = ["griffelib==2.1.0"]\n',
        "p/__init__.py": "import alpha\n",
        "scripts/gen_ref_pages.py": "import griffe\n",
    }, installs=("alpha",))
    found = findings(root)
    [griffe] = [f for f in found if f["code"] == "VS301"]
    assert "declared as griffelib==2.1.0 in group 'docs'" in str(griffe["message"])
    assert griffe["severity"] != "error"
    assert [f for f in found if f["code"] == "VS303"] == []


def test_setuptools_in_a_setup_py_shim_of_another_backend_is_no_finding(project):
    # FP-16 (rich: setup.py imports setuptools, the build is poetry-core)
    root = project({
        "pyproject.toml": '[build-system]\nrequires = ["poetry-core>=1.0.0"]\n'
                          'build-backend = "poetry.core.masonry.api"\n\n'
                          '[project]\nname = "p"\nversion = "1"\ndependencies = ["alpha"]\n',
        "setup.py": "import setuptools\nsetuptools.setup(name='p')\n",
        "p/__init__.py": "import alpha\nimport setuptools\n",
    }, installs=("alpha",))
    assert [(f["file"], module_of(f)) for f in findings(root) if f["code"] == "VS301"] == [
        ("p/__init__.py", "setuptools")]  # package code importing it is still reported


def test_tests_importing_modules_they_write_or_that_must_not_exist(project):
    # FP-1 (flask: modules written into tmp_path on syspath_prepend), FP-8 (uvicorn: import does_not_exist)
    root = project({
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["alpha"]\n',
        "p/__init__.py": "import alpha\nimport guessed_in_package\n",
        "tests/test_config.py": "def test_a(tmp_path, monkeypatch):\n"
                                "    monkeypatch.syspath_prepend(str(tmp_path))\n"
                                "    (tmp_path / 'made_here.py').write_text('app = 1')\n"
                                "    (tmp_path / \"made_package\").mkdir()\n"
                                "    from made_here import app\n    import made_package\n",
        "tests/importer/raise_import_error.py": "import does_not_exist  # noqa\n",
        "tests/test_yaml.py": "import yaml\nimport pytest\n",
        "tests/data/cases/comments.py": "import some_formatted_input\n",  # black's formatter cases
        "tests/helpers.py": "import guessed_helper\n",
    }, installs=("alpha",))
    missing = by_module(findings(root))
    assert "tests/test_config.py:made_here" not in missing
    assert "tests/test_config.py:made_package" not in missing
    assert missing["tests/importer/raise_import_error.py:does_not_exist"]["severity"] == "hint"
    assert missing["p/__init__.py:guessed_in_package"]["severity"] == "error"  # package code: still an error
    assert missing["tests/test_yaml.py:yaml"]["severity"] == "error"  # the table knows PyYAML: not a guess
    assert missing["tests/test_yaml.py:pytest"]["severity"] == "error"  # a test module's own top-level import
    assert "tests/data/cases/comments.py:some_formatted_input" not in missing  # test data, not code
    assert missing["tests/helpers.py:guessed_helper"]["severity"] == "error"  # a helper's top-level import


def test_a_pep_723_script_is_judged_by_its_inline_dependencies(project):
    # FP-17 (python-sdk examples/mcpserver/memory.py)
    root = project({
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["alpha"]\n',
        "p/__init__.py": "import alpha\n",
        "examples/memory.py": '# /// script\n# dependencies = ["pydantic-ai-slim[openai]", "asyncpg", "numpy"]\n'
                              "# ///\nimport asyncpg\nimport numpy as np\nfrom openai import AsyncOpenAI\n"
                              "from pydantic_ai import Agent\nimport pandas\n",
        "examples/text_me.py": "# /// script\n# dependencies = []\n# ///\nfrom pydantic_settings import BaseSettings\n",
    }, installs=("alpha",))
    missing = by_module(findings(root))
    # what the block provides is the script's environment's business (uv run makes it), not the project venv's:
    # no finding (the precision benchmark judged the hints false)
    for module in ("asyncpg", "numpy", "openai", "pydantic_ai"):
        assert f"examples/memory.py:{module}" not in missing, module
    # a script is a scope of its own (issue 16): judged against its block, not against the project's venv —
    # with no environment of its own, what the block does not declare is VS302
    undeclared = by_module(findings(root), "VS302")
    assert "examples/memory.py:pandas" not in missing and "examples/memory.py:pandas" in undeclared
    assert "examples/text_me.py:pydantic_settings" in undeclared


def test_a_module_inside_a_package_is_not_a_top_level_name(project):
    # MISS-1 (rich: rich/emoji.py hid tools/make_emoji.py's `import emoji`); test apps a conftest puts on
    # sys.path (a folder that is no package) stay local code
    root = project({
        "pyproject.toml": '[project]\nname = "pkg"\nversion = "1"\ndependencies = ["alpha"]\n',
        "pkg/__init__.py": "import alpha\n",
        "pkg/emoji.py": "",
        "pkg/sub/__init__.py": "",
        "pkg/sub/markup.py": "",
        "tools/make_emoji.py": "import emoji\nimport markup\nimport helper\n",
        "tools/helper.py": "",
        "tests/test_apps/cliapp/__init__.py": "",
        "tests/test_cli.py": "import cliapp\n",
        "tests/__init__.py": "",
        "tests/integration/__init__.py": "",
        "tests/integration/subdir/__init__.py": "",
        "tests/integration/subdir/aplugin.py": "",
        "tests/unit/finder_test.py": "import sys\ndef test_a():\n    orig = sys.path[:]\n"
                                     "    load(paths=('tests/integration/subdir',))\n    import aplugin\n",
    }, installs=("alpha",))
    assert sorted(module_of(f) for f in findings(root) if f["code"] == "VS301") == ["emoji", "markup"]


def test_a_uv_workspace_members_package_is_its_declared_distribution(project):
    # FP-18 (python-sdk: tests import `stories`, the package of member ex-stories, group 'dev')
    root = project({
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["alpha"]\n'
                          '[dependency-groups]\ndev = ["ex-stories"]\n'
                          '[tool.uv.workspace]\nmembers = ["examples"]\n'
                          '[tool.uv.sources]\nex-stories = { workspace = true }\n',
        "p/__init__.py": "import alpha\n",
        "examples/pyproject.toml": '[project]\nname = "ex-stories"\nversion = "0"\n'
                                   '[tool.hatch.build.targets.wheel]\npackages = ["stories"]\n',
        "examples/stories/__init__.py": "",
        "tests/examples/conftest.py": "from stories import harness\nfrom stories._hosting import host\n"
                                      "import not_a_member\n",
    }, installs=("alpha",))
    found = [f for f in findings(root) if f["file"] == "tests/examples/conftest.py"]
    missing = by_module(found)
    for module in ("stories", "stories._hosting"):
        finding = missing[f"tests/examples/conftest.py:{module}"]
        assert "declared as ex-stories in group 'dev'" in str(finding["message"])
        assert finding["severity"] != "error"
    assert missing["tests/examples/conftest.py:not_a_member"]["severity"] == "error"
    assert [f for f in findings(root) if f["code"] == "VS303"] == []


def test_a_nested_project_without_a_venv_still_gets_undeclared_imports(project):
    # MISS-2 (scrapy docs/: docutils and sybil imported, declared nowhere; its lock pins docutils only `# via`
    # sphinx), FP-13 (flake8 docs/source/conf.py imports the enclosing project: first-party)
    root = project({
        "pyproject.toml": '[project]\nname = "foo"\nversion = "1"\n',
        "src/foo/__init__.py": "",
        "docs/requirements.in": "sphinx\n",
        "docs/requirements.txt": "# This file was autogenerated by uv via the following command:\n"
                                 "#    uv pip compile requirements.in -o requirements.txt\n"
                                 "docutils==0.21.2\n    # via sphinx\nsphinx==8.1.3\n    # via -r requirements.in\n",
        "docs/conf.py": "import os\nimport foo\nimport sphinx.util\nfrom docutils import nodes\n",
        "docs/conftest.py": "from sybil import Sybil\ntry:\n    import optional_thing\nexcept ImportError:\n"
                            "    optional_thing = None\n",
        "examples/app/requirements.txt": "foo\n",
        "examples/app/main.py": "import foo\n",
    }, venv=False)
    found = findings(root)
    undeclared = {(f["file"], module_of(f)): f["severity"] for f in found if f["code"] == "VS302"}
    assert undeclared == {("conf.py", "docutils"): "warning", ("conftest.py", "sybil"): "warning",
                          ("conftest.py", "optional_thing"): "hint"}  # paths are the docs project's
    assert [f for f in found if f["code"] == "VS303"] == []  # examples/app declares foo and imports it


def test_a_lazy_import_of_a_module_the_file_types_against_is_optional(project):
    # FP-15 (httpx/_transports/asgi.py: `import trio` under TYPE_CHECKING and inside `if is_running_trio():`)
    root = project({
        "requirements.txt": "alpha\ntrio==0.31.0\n",  # httpx's requirements.txt declares it; not installed
        "app/__init__.py": "import alpha\n",
        "app/asgi.py": "import typing\nif typing.TYPE_CHECKING:\n    import trio\n\n"
                       "def create_event():\n    if is_running_trio():\n        import trio\n"
                       "        return trio.Event()\n",
        "app/concurrency.py": "import trio\n",
    }, installs=("alpha",))
    missing = {f"{f['file']}:{f['range']['start']['line']}": f for f in findings(root) if f["code"] == "VS301"}
    assert missing["app/asgi.py:7"]["severity"] == "hint"
    assert missing["app/concurrency.py:1"]["severity"] == "error"  # imported at the top of a module: needed


def test_an_editable_install_is_not_installed_by_hand(tmp_path, venv_factory):
    # FP-13's wording: flake8 installed editable in the venv was "installed by hand"
    source = make_project(tmp_path / "source", "sibling", "0.1")
    root = write(tmp_path / "user", {"requirements.txt": "", "app.py": "import sibling\n"})
    pip_install(venv_factory(".venv", parent=root), "-e", str(source), find_links=tmp_path)
    [finding] = [f for f in findings(root) if f["code"] == "VS302"]
    assert str(finding["message"]).endswith("(installed: sibling 0.1, installed editable)")

"""PEP 723 scripts as scopes of their own (issue 16): the block read as a declaration set with exact places,
the script's environment found without running anything (uv's, checked against the real uv; ``scripts.venv``;
``.venvs/<name>``), its block and imports judged against them and not against the project's — on real files,
real venvs, real wheels and the real uv (offline, ``--find-links``, its cache in ``tmp_path``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.projects import findings, write
from support.wheels import build_wheel, pip_install, uv_executable
from support.work import calls
from venvsense.check import ProjectReport, check_project, recheck_manifests, script_blocks_edited
from venvsense.declarations.script import read_script
from venvsense.environment.uvcache import cache_name, script_environment_path
from venvsense.fixes import finding_fixes
from venvsense.model import project_at
from venvsense.text import Position, Range

UV = uv_executable()
needs_uv = pytest.mark.skipif(UV is None, reason="uv is not installed")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("script-wheels")
    build_wheel(house, "tinylib", "1.0")
    build_wheel(house, "otherlib", "1.0")
    return house


def uv_environ(cache: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_CACHE_DIR")}
    environ.update({"UV_CACHE_DIR": str(cache), "UV_OFFLINE": "1", "UV_NO_CONFIG": "1",
                    "UV_PYTHON_DOWNLOADS": "never", "VENVSENSE_CACHE_DIR": ""})
    return environ


def uv_sync_script(script: Path, cache: Path, wheels: Path) -> str:
    """``uv sync --script`` as a person runs it; uv's own report of where it made the environment."""
    assert UV is not None
    result = subprocess.run([str(UV), "sync", "--script", str(script), "--python", sys.executable,
                             "--find-links", str(wheels), "--no-index"],
                            capture_output=True, text=True, env=uv_environ(cache), check=False)
    assert result.returncode == 0, result.stderr
    return result.stderr + result.stdout


def codes(report: ProjectReport, path: Path | None = None) -> list[str]:
    return sorted(f.code for f in report.findings if path is None or f.file == path)


SCRIPT = '''#!/usr/bin/env python
# /// script
# requires-python = ">=3.8"
# dependencies = [
#   "tinylib>=1",
# ]
# ///
import tinylib
'''


# --- the block ---------------------------------------------------------------------------------------------


def test_the_block_is_a_declaration_set_with_places_on_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    manifest = read_script(path, SCRIPT)
    assert manifest is not None and manifest.findings == []
    (declaration,) = manifest.declarations
    assert (declaration.name, declaration.specifier, declaration.primary) == ("tinylib", ">=1", True)
    assert declaration.range == Range(Position(4, 5), Position(4, 15))  # `tinylib>=1` inside its quotes
    assert SCRIPT.splitlines()[4][5:15] == "tinylib>=1"
    assert manifest.requires_python is not None
    spec, file, where = manifest.requires_python
    assert (spec, file) == (">=3.8", path) and SCRIPT.splitlines()[2][where.start.column:where.end.column] == ">=3.8"
    assert read_script(path, "import os\n# /// scripts are nice\n") is None


def test_bad_metadata_is_vs206_at_its_place(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    text = '# /// script\n# dependencies = [\n#   "ok",\n#   "not valid ===",\n# ]\n# colour = 1\n# ///\n'
    manifest = read_script(path, text)
    assert manifest is not None
    found = sorted((f.range.start.line, f.range.start.column, f.code) for f in manifest.findings)
    assert found == [(3, 5, "VS206"), (5, 2, "VS206")]
    broken = read_script(path, '# /// script\n# dependencies = [\n#   "a"\n#   "b",\n# ]\n# ///\n')
    assert broken is not None and broken.incomplete
    (finding,) = broken.findings
    assert finding.code == "VS206" and "not valid TOML" in finding.message
    assert finding.range.start == Position(3, 4)  # where tomllib stopped: the second string, no comma before
    block = "# /// script\n# dependencies = []\n# ///\n"
    twice = read_script(path, block + "import os\n" + block)
    assert twice is not None and [(f.range.start.line, f.code) for f in twice.findings] == [(4, "VS206")]
    unclosed = read_script(path, "# /// script\n# dependencies = []\nimport os\n")
    assert unclosed is not None and [(f.range.start.line, f.code) for f in unclosed.findings] == [(0, "VS206")]


# --- its environment -----------------------------------------------------------------------------------------


@needs_uv
@pytest.mark.parametrize("name", ["hello.py", "My Tool.v2.py", "deadbeef.py", "_private-x.py"])
def test_uv_names_the_script_environment_as_computed(tmp_path: Path, wheels: Path, name: str) -> None:
    script = write(tmp_path / "some where" / "proj", {name: "# /// script\n# dependencies = []\n# ///\n"}) / name
    cache = tmp_path / "uv-cache"
    said = uv_sync_script(script, cache, wheels)
    expected = script_environment_path(script, {"UV_CACHE_DIR": str(cache)})
    assert str(expected) in said, said
    assert (expected / "pyvenv.cfg").is_file()


def test_cache_name_is_uvs() -> None:
    assert cache_name("My Tool.v2") == "my-tool-v2"
    assert cache_name("deadbeef") == "deadbeef"
    assert cache_name("__") is None
    assert cache_name("x" * 150) == "x" * 100


@needs_uv
def test_missing_wrong_and_satisfied_in_uvs_environment(tmp_path: Path, wheels: Path) -> None:
    root = write(tmp_path / "scripts-only", {"tool.py": SCRIPT})
    script = root / "tool.py"
    cache = tmp_path / "uv-cache"
    uv_sync_script(script, cache, wheels)
    environ = uv_environ(cache)
    report = check_project(project_at(root), environ=environ)
    (scope,) = report.scripts
    assert scope.environment is not None and scope.environment.source == "uv-script"
    assert codes(report) == []
    # the same script now asks for a version uv's environment does not hold, and for one it lacks
    script.write_text(SCRIPT.replace('"tinylib>=1",', '"tinylib>=2",\n#   "otherlib",')
                      .replace("import tinylib", "import tinylib\nimport otherlib"))
    report = check_project(project_at(root), environ=environ)
    got = sorted((f.code, f.range.start.line, f.package) for f in report.findings)
    assert got == [("VS201", 5, "otherlib"), ("VS202", 4, "tinylib"), ("VS301", 9, "otherlib")]
    message = next(f.message for f in report.findings if f.code == "VS202")
    assert "uv's environment for tool.py" in message
    # the CLI says the same (a folder with only scripts in it is checked too)
    cli = findings(root, env={"UV_CACHE_DIR": str(cache)})
    assert sorted(str(f["code"]) for f in cli) == ["VS201", "VS202", "VS301"]


@needs_uv
def test_a_scripts_imports_are_not_the_projects(tmp_path: Path, wheels: Path) -> None:
    root = write(tmp_path / "proj", {
        "requirements.txt": "tinylib\n",
        "app.py": "import tinylib\n",
        "scripts/report.py": SCRIPT.replace('"tinylib>=1"', '"otherlib"') + "import otherlib\n",
    })
    venv = root / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip_install(venv, "tinylib", find_links=wheels)
    script = root / "scripts" / "report.py"
    cache = tmp_path / "uv-cache"
    environ = uv_environ(cache)
    report = check_project(project_at(root), environ=environ)
    # no environment for the script yet: VS101 on its block; its imports are judged against its own
    # declarations (tinylib is the project's, not the script's: VS302), never against the project's venv
    got = sorted((f.code, f.range.start.line) for f in report.findings)
    assert got == [("VS101", 1), ("VS302", 7)], report.findings
    uv_sync_script(script, cache, wheels)
    report = check_project(project_at(root), environ=environ)
    # now judged against its environment too: the project's venv has tinylib, the script's does not
    assert [(f.code, f.file.name, f.range.start.line) for f in report.findings] == [("VS301", "report.py", 7)]
    assert "'tinylib' is imported but not installed in uv's environment for report.py" in report.findings[0].message


def test_scripts_venv_setting_and_a_venv_beside_it(tmp_path: Path, wheels: Path) -> None:
    root = write(tmp_path / "proj", {
        "pyproject.toml": '[project]\nname = "p"\nversion = "1"\n\n[tool.venvsense.scripts]\n'
                          'venv = { "tools/*.py" = "envs/tools" }\n',
        "tools/a.py": SCRIPT,
        "b.py": SCRIPT.replace(">=3.8", ">=3.99"),
    })
    for venv in (root / "envs" / "tools", root / ".venvs" / "b"):
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        pip_install(venv, "tinylib", find_links=wheels)
    environ = uv_environ(tmp_path / "empty-uv-cache")
    report = check_project(project_at(root), environ=environ)
    sources = {s.path.name: (s.environment.source if s.environment else None) for s in report.scripts}
    assert sources == {"a.py": "configured", "b.py": "script-venv"}
    (finding,) = report.findings
    assert (finding.code, finding.file.name, finding.range.start.line) == ("VS103", "b.py", 2)
    assert ".venvs/b was built with Python" in finding.message


# --- the action -------------------------------------------------------------------------------------------------


def run_cli(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "venvsense", *args], capture_output=True, text=True,
                          env=environ, check=False)


@needs_uv
def test_create_an_environment_for_this_script_with_uv(tmp_path: Path, wheels: Path) -> None:
    root = write(tmp_path / "proj", {"requirements.txt": "", "tool.py": SCRIPT})
    script = root / "tool.py"
    cache = tmp_path / "uv-cache"
    environ = uv_environ(cache)
    before = check_project(project_at(root), environ=environ)
    assert codes(before) == ["VS101"]
    result = run_cli("create", str(script), "--find-links", str(wheels), "--no-index", environ=environ)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "uv sync --script" in result.stdout and "no findings" in result.stdout
    made = script_environment_path(script, environ)
    assert (made / "pyvenv.cfg").is_file()
    after = check_project(project_at(root), environ=environ)
    assert codes(after) == [] and after.scripts[0].environment is not None
    assert after.scripts[0].environment.path == made
    # once it has one, the same command brings it in line with the block (uv's own sync), never a new one
    again = run_cli("create", str(script), "--find-links", str(wheels), "--no-index", environ=environ)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"Plan: install into {made}" in again.stdout and "uv sync --script" in again.stdout


def test_create_an_environment_for_this_script_without_uv(tmp_path: Path, wheels: Path) -> None:
    root = write(tmp_path / "proj", {"tool.py": SCRIPT})
    script = root / "tool.py"
    environ = uv_environ(tmp_path / "uv-cache")
    dry = run_cli("create", str(script), "--installer", "pip", "--dry-run", environ=environ)
    assert dry.returncode == 0 and ".venvs/tool" in dry.stdout and not (root / ".venvs").exists()
    result = run_cli("create", str(script), "--installer", "pip", "--find-links", str(wheels), "--no-index",
                     environ=environ)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / ".venvs" / "tool" / "pyvenv.cfg").is_file()
    assert not (root / ".venvs" / "tool.venvsense-new").exists()
    report = check_project(project_at(root), environ=environ)
    assert codes(report) == [] and report.scripts[0].environment is not None
    assert report.scripts[0].environment.source == "script-venv"


# --- the keystroke path -------------------------------------------------------------------------------------


def _block_edit(tmp_path: Path, wheels: Path, modules: int) -> tuple[int, int]:
    """Calls made by a block's keystroke re-check and by a full check, in a project of ``modules`` modules."""
    files = {f"pkg/mod{i}.py": f"import os\nimport json\nfrom pkg import mod{(i + 1) % modules}\n"
             for i in range(modules)}
    root = write(tmp_path / f"proj{modules}", {"requirements.txt": "", "pkg/__init__.py": "", **files,
                                               "tool.py": SCRIPT})
    venv = root / ".venvs" / "tool"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip_install(venv, "tinylib", find_links=wheels)
    environ = uv_environ(tmp_path / "uv-cache")
    project = project_at(root)
    script = root / "tool.py"
    first = check_project(project, environ=environ)
    assert codes(first) == []
    edited = {script: SCRIPT.replace('"tinylib>=1"', '"tinylib>=3"')}
    assert script_blocks_edited(first, edited)
    assert not script_blocks_edited(first, {script: SCRIPT + "import otherlib\n"})  # an import changed
    assert not script_blocks_edited(first, {root / "pkg" / "mod1.py": "import os\n# /// script\n"})
    again, fast = calls(lambda: recheck_manifests(first, project, environ=environ, overrides=edited))
    full, slow = calls(lambda: check_project(project, environ=environ, overrides=edited))
    assert again.usage is first.usage, "the block edit reuses the import classification"
    assert again.findings == full.findings
    assert [(f.code, f.range.start.line) for f in again.findings] == [("VS202", 4)]
    return fast, slow


def test_a_block_edit_takes_the_manifest_path(tmp_path: Path, wheels: Path) -> None:
    """A keystroke in a PEP 723 block costs what a requirements keystroke costs: nothing per module of the
    project (counted calls, the same for 20 modules and 80), while a full check grows with them."""
    fast_small, slow_small = _block_edit(tmp_path, wheels, 20)
    fast_large, slow_large = _block_edit(tmp_path, wheels, 80)
    assert fast_large <= fast_small * 1.05, (fast_small, fast_large)
    assert slow_large > slow_small * 1.5, (slow_small, slow_large)
    assert fast_large * 3 < slow_large


@needs_uv
def test_a_scripts_fixes_are_its_own(tmp_path: Path, wheels: Path) -> None:
    """A script's findings are fixed in its own environment and block, never in the project's venv or
    manifests: install its dependencies there (``venvsense create SCRIPT.py`` on a script that has one brings
    it in line with its block), or change the pin in the block."""
    text = SCRIPT.replace('"tinylib>=1",', '"tinylib>=2",\n#   "otherlib",') + "import otherlib\n"
    root = write(tmp_path / "proj", {"requirements.txt": "otherlib\n", "app.py": "import otherlib\n",
                                     "tool.py": text})
    script = root / "tool.py"
    venv = root / ".venvs" / "tool"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip_install(venv, "tinylib", find_links=wheels)
    environ = uv_environ(tmp_path / "uv-cache")
    report = check_project(project_at(root), environ=environ)
    in_script = {f.code: f for f in report.findings if f.file == script}
    assert sorted(in_script) == ["VS201", "VS202", "VS301"]
    def titles(code: str) -> list[str]:
        return [fix.title for fix in finding_fixes(report, in_script[code], trusted=True,
                                                   text_of=lambda path: path.read_text())]

    assert titles("VS201") == titles("VS301") == ["Install the script's dependencies"]
    assert titles("VS202") == ["Install the script's dependencies", "Change pin to tinylib>=1.0"] or titles(
        "VS202") == ["Install the script's dependencies", "Change pin to tinylib==1.0"]
    assert not finding_fixes(report, in_script["VS201"], trusted=False, text_of=lambda path: None)
    newer = build_wheel(tmp_path / "newer", "tinylib", "2.0").parent
    result = run_cli("create", str(script), "--installer", "uv", "--find-links", str(wheels), "--find-links",
                     str(newer), "--no-index", environ=environ)
    # done (exit 1: the verdict that follows is the project's, whose own VS101 is left as it was)
    assert result.returncode == 1 and "installed tinylib 2.0, otherlib 1.0" in result.stdout, result.stderr
    assert "uv pip install --python" in result.stdout and str(venv) in result.stdout
    installed = {p.name for p in venv.glob("lib/python3*/site-packages/*.dist-info")}
    assert {"tinylib-2.0.dist-info", "otherlib-1.0.dist-info"} <= installed
    after = check_project(project_at(root), environ=environ)
    assert [f for f in after.findings if f.file == script] == []
    assert not (root / ".venv").exists(), "the project's venv is never touched"


def test_a_scripts_findings_are_not_the_projects_to_fix(tmp_path: Path, wheels: Path) -> None:
    """The project's fixes (the status bar's list, ``venvsense fix``, its summary) leave its scripts alone: a
    script without an environment is no reason to create the project's ``.venv``."""
    from venvsense.fixes import project_fixes, repair_for

    root = write(tmp_path / "proj", {"requirements.txt": "tinylib\n", "app.py": "import tinylib\n",
                                     "tool.py": SCRIPT})
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    pip_install(root / ".venv", "tinylib", find_links=wheels)
    report = check_project(project_at(root), environ=uv_environ(tmp_path / "uv-cache"))
    assert [(f.code, f.file.name) for f in report.findings] == [("VS101", "tool.py")]
    assert report.project_findings == []
    assert repair_for(report) is None
    assert "Create .venv here" not in [fix.title for fix in project_fixes(report)]
    text = run_cli("check", str(root), environ=uv_environ(tmp_path / "uv-cache")).stdout
    assert "VS101" in text and "venvsense fix" not in text

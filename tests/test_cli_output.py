"""What `venvsense check` and `show` print for people: one heading per project naming its venv, a severity on
each line, colour only where asked for or on a terminal, one line per declaration set that is not installed
(JSON keeps every import site, grouped by `problem`), paths relative to where the command ran, a summary line,
the concise form for tools, the progress line. Real projects, real venvs and wheels, the real CLI."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from support.projects import write
from support.wheels import build_wheel, make_project, pip_install
from venvsense.check import check_project
from venvsense.cli.progress import Progress
from venvsense.model import project_at

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "NO_COLOR", "FORCE_COLOR")}
    environ["VENVSENSE_CACHE_DIR"] = ""
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "venvsense", *args], cwd=cwd, capture_output=True, text=True,
                          env=environ, check=False)


def run_on_terminal(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """The CLI with stdout and stderr on a pseudo-terminal: everything it wrote there."""
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "NO_COLOR", "FORCE_COLOR")}
    environ.update({"VENVSENSE_CACHE_DIR": "", "TERM": "xterm"}, **(env or {}))
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "venvsense", *args], cwd=cwd, env=environ,
                               stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            process.kill()
            raise AssertionError("the CLI wrote nothing for 60 s")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other side closed (Linux answers EIO)
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) in (0, 1)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("output-wheels")
    build_wheel(house, "requests", "2.32.3")
    build_wheel(house, "pytest", "8.0.0", modules=["pytest", "_pytest"])
    build_wheel(house, "hypothesis", "6.100.0")
    build_wheel(house, "tool", "1.0", top_level=False, modules=["tool"],
                files={"extras/run.sh": "#!/bin/sh\n", "extras/README": "scripts\n"})
    return house


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, session_venv_factory, wheels: Path) -> Path:
    """Two projects: `app` with a test set that is not installed (pytest, hypothesis imported by three test
    files), and `other` with its own venv and a distribution whose `extras/` folder holds only scripts."""
    base = tmp_path_factory.mktemp("output")
    app = write(base / "app", {
        "requirements.txt": "requests==2.32.3\n",
        "requirements-dev.txt": "pytest==8.0.0\nhypothesis\n",
        "app/__init__.py": "import requests\nfrom . import core\nfrom .core import x\n",
        "app/core.py": "x = 1\n",
        "tests/conftest.py": "import pytest\n",
        "tests/test_a.py": "import pytest\nimport hypothesis\n",
        "tests/test_b.py": "import pytest\nfrom hypothesis import given\n",
    })
    pip_install(session_venv_factory(".venv", parent=app), "requests==2.32.3", find_links=wheels,
                args=("--no-deps",))
    other = write(base / "other", {"requirements.txt": "tool==1.0\n", "main.py": "import tool\n"})
    pip_install(session_venv_factory(".venv", parent=other), "tool==1.0", find_links=wheels, args=("--no-deps",))
    return base


def _python(root: Path) -> str | None:
    env = check_project(project_at(root)).environment
    return env.python if env is not None else None


def test_a_set_that_is_not_installed_is_one_line_with_the_action(workspace):
    result = run("check", "app", cwd=workspace)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    python = check_project(project_at(workspace / "app")).environment.python
    assert lines[0] == f"app (venv: app/.venv, Python {python}, its own)"
    vs301 = [line for line in lines if "VS301" in line]
    assert vs301 == [
        "  warning  app/tests/conftest.py:1:8: VS301 requirements-dev.txt is not installed: hypothesis, pytest are "
        "imported by 3 files; run 'venvsense fix app' to install it"]
    # the set's two VS201 and its imports as one problem
    assert lines[-1] == "3 warnings in 1 project; run 'venvsense fix app' to install 2 packages"
    assert "\x1b[" not in result.stdout  # not a terminal: no colour


def test_json_keeps_every_import_site_grouped_by_problem(workspace):
    document = json.loads(run("check", "app", "--format", "json", cwd=workspace).stdout)
    vs301 = [f for f in document["projects"][0]["findings"] if f["code"] == "VS301"]
    assert [(f["file"], f["range"]["start"]["line"]) for f in vs301] == [
        ("tests/conftest.py", 1), ("tests/test_a.py", 1), ("tests/test_a.py", 2), ("tests/test_b.py", 1),
        ("tests/test_b.py", 2)]
    assert {f["problem"] for f in vs301} == {"set-not-installed:requirements-dev.txt"}
    assert {f["set"] for f in vs301} == {"requirements-dev.txt"}
    others = [f for f in document["projects"][0]["findings"] if f["code"] != "VS301"]
    assert others and all(f["problem"] is None for f in others)


def test_concise_is_one_line_per_finding_for_tools(workspace):
    result = run("check", "app", "--format", "concise", cwd=workspace)
    lines = result.stdout.splitlines()
    assert len([line for line in lines if " VS301 " in line]) == 5
    assert all(re.fullmatch(r"app/[^:]+:\d+:\d+: VS\d{3} .+", line) for line in lines), lines
    assert "app/tests/test_b.py:2:6: VS301 'hypothesis' is imported but not installed in .venv (declared as " \
           "hypothesis in requirements-dev.txt)" in lines


def test_every_project_under_its_heading_and_one_summary(workspace):
    result = run("check", ".", cwd=workspace)
    text = result.stdout
    python = check_project(project_at(workspace / "other")).environment.python
    assert f"\n\nother (venv: other/.venv, Python {python}, its own)\n  ok       no problems found\n" in text
    assert text.endswith("\n\n3 warnings in 2 projects; run 'venvsense fix' to install 2 packages\n")


def test_a_venv_path_in_a_message_is_relative_to_where_the_command_ran(workspace):
    result = run("check", "app", "--venv", "other/.venv", "--select", "VS102", cwd=workspace)
    [line] = [line for line in result.stdout.splitlines() if "VS102" in line]
    assert line.startswith("  warning  app/requirements.txt:1:1: VS102 the configured venv is other/.venv,")
    assert str(workspace) not in result.stdout
    concise = run("check", "app", "--venv", "other/.venv", "--select", "VS102", "--format", "concise", cwd=workspace)
    assert "the configured venv is other/.venv, which" in concise.stdout
    document = json.loads(run("check", "app", "--venv", "other/.venv", "--select", "VS102", "--format", "json",
                              cwd=workspace).stdout)
    assert str(workspace / "other" / ".venv") in document["projects"][0]["findings"][0]["message"]


def test_colour_on_a_terminal_unless_no_color(workspace):
    coloured = run_on_terminal("check", "app", cwd=workspace)
    assert "\x1b[33mwarning\x1b[0m" in coloured and "\x1b[1mapp (venv:" in coloured
    plain = run_on_terminal("check", "app", cwd=workspace, env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain
    assert ESCAPE.sub("", coloured) == plain
    assert "\x1b[" not in run_on_terminal("check", "app", "--color", "never", cwd=workspace)
    forced = run("check", "app", "--color", "always", cwd=workspace, env={"NO_COLOR": "1"})
    assert "\x1b[1;31m" not in forced.stdout and "\x1b[33mwarning\x1b[0m" in forced.stdout
    assert ESCAPE.sub("", forced.stdout) == run("check", "app", cwd=workspace).stdout


def test_a_quick_check_on_a_terminal_shows_no_progress_line(workspace):
    assert "checking" not in run_on_terminal("check", "app", cwd=workspace)


def test_the_progress_line_counts_projects_and_files_then_is_erased(workspace):
    project = project_at(workspace / "app")
    stream = io.StringIO()
    progress = Progress(stream, workspace, delay=0.0)
    progress.started(project)
    progress.finished(check_project(project))
    assert progress.line().startswith("checking app … 1 project, 5 files scanned (")
    with progress:  # the drawing thread draws at once (delay 0), then every quarter second
        for _ in range(500):
            if "files scanned" in stream.getvalue():
                break
            select.select([], [], [], 0.01)
    written = stream.getvalue()
    assert written.startswith("\rchecking app … ")
    assert written.endswith("\r") and written.rstrip("\r").endswith(" ")  # the line is blanked out at the end


def test_show_imports_prints_relative_imports_as_written(workspace):
    result = run("show", "imports", "app", cwd=workspace)
    lines = result.stdout.splitlines()
    assert lines[:2] == ["app", f"  environment: app/.venv (Python {_python(workspace / 'app')}, in-project)"]
    assert "  app/app/__init__.py:2:6: . (relative)" in lines  # the path relative to where the command ran
    assert "  app/app/__init__.py:3:6: .core (relative)" in lines
    document = json.loads(run("show", "imports", "app", "--format", "json", cwd=workspace).stdout)
    relative = [(i["module"], i["level"]) for i in document["projects"][0]["imports"] if i["kind"] == "relative"]
    assert relative == [("", 1), ("core", 1)]


def test_show_env_lists_only_importable_names(workspace):
    result = run("show", "env", "other", "--format", "json", cwd=workspace)
    [tool] = json.loads(result.stdout)["projects"][0]["distributions"]
    assert (tool["name"], tool["modules"]) == ("tool", ["tool"])
    assert "  tool 1.0  [tool]" in run("show", "env", "other", cwd=workspace).stdout.splitlines()


def test_show_env_leaves_out_a_folder_of_scripts_beside_an_editable_package(tmp_path, venv_factory):
    source = make_project(tmp_path / "source", "flatproj", "0.1", modules=["flatproj"], layout="flat")
    write(source, {"extras/run_report.py": "print('report')\n", "nspace/inner/__init__.py": ""})
    root = write(tmp_path / "user", {"requirements.txt": "flatproj\n"})
    pip_install(venv_factory(".venv", parent=root), "-e", str(source), find_links=tmp_path)
    document = json.loads(run("show", "env", ".", "--format", "json", cwd=root).stdout)
    [dist] = [d for d in document["projects"][0]["distributions"] if d["name"] == "flatproj"]
    assert dist["editable"] is True
    # the project's root is on sys.path: its package, a namespace package holding one, its loose module (the
    # in-tree build backend) — not extras/, a folder of scripts
    assert dist["modules"] == ["flatproj", "nspace", "venvsense_test_backend"]


# --- `check` of an empty folder: answered without the engine (cli/nothing.py), exactly as the engine would -----

_ENGINE_LOADED = "import sys; from venvsense.cli import main; code = main(sys.argv[1:]); " \
    "print('ENGINE' if 'venvsense.check' in sys.modules else 'LIGHT', file=sys.stderr); raise SystemExit(code)"


def _check_both_ways(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[str, str, str]:
    """``check ARGS`` as the CLI runs it, and again with an option that only the engine honours (``--ignore VS9``
    ignores no code): both outputs, and which path answered the first."""
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "NO_COLOR", "FORCE_COLOR")}
    environ["VENVSENSE_CACHE_DIR"] = ""
    environ.update(env or {})
    first = subprocess.run([sys.executable, "-c", _ENGINE_LOADED, "check", *args], cwd=cwd, capture_output=True,
                           text=True, env=environ, check=False)
    second = subprocess.run([sys.executable, "-c", _ENGINE_LOADED, "check", "--ignore", "VS9", *args], cwd=cwd,
                            capture_output=True, text=True, env=environ, check=False)
    assert first.returncode == second.returncode, (first.stderr, second.stderr)
    assert second.stderr.strip().endswith("ENGINE")
    return first.stdout, second.stdout, first.stderr.strip().rsplit("\n", 1)[-1]


@pytest.mark.parametrize("form", [(), ("--format", "json"), ("--format", "concise"), ("--color", "never")])
def test_check_of_an_empty_folder_answers_without_the_engine_as_the_engine_does(tmp_path: Path,
                                                                               form: tuple[str, ...]) -> None:
    empty = tmp_path / "work" / "empty"
    other = tmp_path / "work" / "other"
    empty.mkdir(parents=True)
    other.mkdir()
    for cwd, paths in ((empty, ()), (empty.parent, ("empty",)), (tmp_path, ("work/empty", "work/other")),
                       (other, (str(empty),))):
        fast, engine, answered_by = _check_both_ways(*form, *paths, cwd=cwd)
        assert answered_by == "LIGHT"
        assert fast == engine


def test_check_of_an_empty_folder_that_a_venv_serves_goes_to_the_engine(tmp_path: Path) -> None:
    # a venv in a project above: the empty folder is a nested project using it (environment.discovery)
    project = tmp_path / "app"
    write(project, {"requirements.txt": ""})
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    (project / "empty").mkdir()
    fast, engine, answered_by = _check_both_ways("--format", "json", "empty", cwd=project)
    assert answered_by == "ENGINE"
    assert fast == engine
    assert json.loads(fast)["projects"][0]["environment"]["source"] == "enclosing-project"
    # $VIRTUAL_ENV names one
    alone = tmp_path / "alone"
    alone.mkdir()
    fast, engine, answered_by = _check_both_ways("--format", "json", cwd=alone,
                                                 env={"VIRTUAL_ENV": str(project / ".venv")})
    assert answered_by == "ENGINE"
    assert fast == engine
    assert json.loads(fast)["projects"][0]["environment"]["source"] == "VIRTUAL_ENV"
    # a folder holding anything at all
    (alone / "README.md").write_text("hello\n")
    _, _, answered_by = _check_both_ways(cwd=alone)
    assert answered_by == "ENGINE"


def test_the_light_answer_shares_the_engine_constants() -> None:
    from venvsense.cli import nothing, output
    from venvsense.environment.discovery import IN_PROJECT_NAMES

    assert (nothing.IN_PROJECT_NAMES, nothing.SCHEMA) == (IN_PROJECT_NAMES, output.SCHEMA)

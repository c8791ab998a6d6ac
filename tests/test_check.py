"""The analysis and `venvsense check` on real projects, real venvs and real wheels."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.projects import write
from support.wheels import build_wheel, pip_check, pip_install
from venvsense.check import ProjectReport, check_project
from venvsense.config import Settings
from venvsense.findings import Finding, Severity
from venvsense.model import find_projects, project_at
from venvsense.text import Position, Range

REPO = Path(__file__).resolve().parents[1]
NO_ENV: dict[str, str] = {}


def check(root: Path, settings: Settings | None = None, environ: dict[str, str] | None = None) -> ProjectReport:
    return check_project(project_at(root), settings, environ=NO_ENV if environ is None else environ)


def codes(report: ProjectReport) -> list[str]:
    return [f.code for f in report.findings]


def only(report: ProjectReport, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, report.findings
    return found[0]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("wheels")
    build_wheel(house, "alpha", "1.0")
    build_wheel(house, "alpha", "2.0")
    build_wheel(house, "beta", "1.0", requires=["alpha>=2"])
    build_wheel(house, "gamma", "1.0", extras={"fast": ["beta>=1"]})
    build_wheel(house, "delta", "3.0", requires=["missing-dep>=1", 'never; python_version < "3"'])
    return house


@pytest.fixture
def project(tmp_path: Path, venv_factory: Callable[..., Path]) -> Callable[..., Path]:
    """``project({"requirements.txt": ...}, venv=True)`` → the project root (with ``.venv`` when asked)."""

    def make(files: dict[str, str], venv: bool = True) -> Path:
        root = write(tmp_path / "proj", files)
        if venv:
            venv_factory(".venv", parent=root)
        return root

    return make


# --- environments --------------------------------------------------------------------------------------


def test_no_environment_is_reported_once_per_project_on_the_main_manifests_first_declaration(project):
    root = project({"requirements.txt": "# deps\nalpha==1.0\nbeta\n", "requirements-dev.txt": "gamma\n"},
                   venv=False)
    report = check(root)
    vs101 = [f for f in report.findings if f.code == "VS101"]
    assert [(f.file.name, f.range) for f in vs101] == [("requirements.txt", Range(Position(1, 0), Position(1, 10)))]
    assert "(requirements.txt, requirements-dev.txt)" in vs101[0].message
    assert "VS201" not in codes(report)


def test_a_project_without_declarations_and_without_venv_has_no_findings(project):
    assert check(project({"pyproject.toml": "[project]\nname = 'x'\nversion = '1'\n"}, venv=False)).findings == []


def test_missing_requirement_is_not_installed_at_its_exact_range(project):
    root = project({"requirements.txt": "alpha==1.0  # pinned\n"})
    finding = only(check(root), "VS201")
    assert finding.range == Range(Position(0, 0), Position(0, 10))
    assert finding.message == "alpha==1.0 is declared but not installed in .venv"
    assert finding.severity == Severity.ERROR
    assert finding.package == "alpha"


def test_installed_version_outside_the_specifier_is_a_version_mismatch(project, wheels):
    root = project({"requirements.txt": "alpha==1.0\n"})
    pip_install(root / ".venv", "alpha==2.0", find_links=wheels)
    finding = only(check(root), "VS202")
    assert finding.message == "alpha==1.0 is declared but 2.0 is installed in .venv"
    assert finding.data["installed"] == "2.0"


def test_satisfied_requirements_give_no_findings(project, wheels):
    root = project({"requirements.txt": "alpha>=2\nbeta\n"})
    pip_install(root / ".venv", "beta", find_links=wheels)
    assert check(root).findings == []


def test_an_edit_rejudges_the_changed_line_and_an_install_everything(project, wheels):
    root = project({"requirements.txt": "alpha==1.0\nbeta\ngamma\n"})
    pip_install(root / ".venv", "alpha==2.0", find_links=wheels)
    manifest = root / "requirements.txt"
    first = check_project(project_at(root), None, environ=NO_ENV, overrides={manifest: "alpha==1.0\nbeta\ngamma\n"})
    assert [(f.code, f.package) for f in first.findings] == [("VS202", "alpha"), ("VS201", "beta"), ("VS201", "gamma")]
    edited = check_project(project_at(root), None, environ=NO_ENV,
                           overrides={manifest: "alpha==1.0\nbeta>=1\ngamma\n"})
    assert [(f.code, f.message) for f in edited.findings] == [
        ("VS202", "alpha==1.0 is declared but 2.0 is installed in .venv"),
        ("VS201", "beta>=1 is declared but not installed in .venv"),
        ("VS201", "gamma is declared but not installed in .venv")]
    # the unchanged lines' conclusions are those of the last check, not made again
    assert edited.findings[0] is first.findings[0] and edited.findings[2] is first.findings[2]
    pip_install(root / ".venv", "beta", find_links=wheels)  # a new installed set: every line is judged again
    after = check_project(project_at(root), None, environ=NO_ENV, overrides={manifest: "alpha==1.0\nbeta>=1\ngamma\n"})
    assert [(f.code, f.package) for f in after.findings] == [("VS202", "alpha"), ("VS201", "gamma")]


def test_a_requirement_whose_marker_is_false_for_the_venv_is_not_required(project):
    root = project({"requirements.txt": 'alpha; python_version < "3.0"\n'})
    assert check(root).findings == []


def test_markers_are_evaluated_for_the_venvs_python_not_the_tools(tmp_path, venv_factory, pyenv_python):
    other = "3.10" if sys.version_info[:2] != (3, 10) else "3.12"
    root = write(tmp_path / "proj", {"requirements.txt": f'alpha; python_version == "{other}"\n'})
    venv_factory(".venv", python=pyenv_python(other), parent=root)
    assert codes(check(root)) == ["VS201"]


def test_python_version_file_mismatch(project):
    root = project({"requirements.txt": "", ".python-version": "2.7.18\n"})
    report = check(root)
    finding = only(report, "VS103")
    assert finding.file.name == ".python-version"
    assert finding.range == Range(Position(0, 0), Position(0, 6))
    assert "asks for 2.7.18" in finding.message


def test_python_version_prefix_matches_any_patch_release(project):
    major_minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    root = project({"requirements.txt": "", ".python-version": f"{major_minor}\n"})
    assert check(root).findings == []


def test_requires_python_mismatch(project):
    root = project({"pyproject.toml": "[project]\nname = 'x'\nversion = '1'\nrequires-python = '<3.0'\n"})
    finding = only(check(root), "VS103")
    assert "requires-python" in finding.message
    assert finding.file.name == "pyproject.toml"


def test_removed_base_interpreter_is_a_broken_environment_and_holds_back_package_checks(project):
    root = project({"requirements.txt": "alpha\n"})
    cfg = root / ".venv" / "pyvenv.cfg"
    text = cfg.read_text()
    home = next(line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith("home"))
    cfg.write_text(text.replace(home, str(root / "gone-python" / "bin")))
    report = check(root)
    assert codes(report) == ["VS104"]
    assert report.findings[0].severity == Severity.ERROR


def test_active_foreign_venv_while_the_project_has_its_own_is_reported(tmp_path, venv_factory, project):
    other = venv_factory("other-venv")
    root = project({"requirements.txt": ""})
    report = check(root, environ={"VIRTUAL_ENV": str(other)})
    finding = only(report, "VS102")
    assert str(other) in finding.message
    assert report.environment is not None and report.environment.path == root / ".venv"


def test_active_foreign_venv_when_the_project_has_none_is_checked_and_reported(tmp_path, venv_factory, project):
    other = venv_factory("project-a-venv")
    root = project({"requirements.txt": "alpha\n"}, venv=False)
    report = check(root, environ={"VIRTUAL_ENV": str(other)})
    assert sorted(codes(report)) == ["VS102", "VS201"]
    assert report.environment is not None and report.environment.source == "VIRTUAL_ENV"


def test_configured_venv_of_another_project_is_foreign(venv_factory, project):
    other = venv_factory("a-venv")
    root = project({"requirements.txt": ""})
    report = check(root, settings=Settings(venv=other))
    assert codes(report) == ["VS102"]


def test_a_shared_venv_in_a_parent_folder_is_not_foreign(tmp_path, venv_factory):
    monorepo = tmp_path / "mono"
    shared = venv_factory(".venv", parent=monorepo)
    root = write(monorepo / "services" / "api", {"requirements.txt": ""})
    assert check(root, environ={"VIRTUAL_ENV": str(shared)}).findings == []


# --- declaration sets and findings -----------------------------------------------------------------------


def test_secondary_requirement_files_are_one_level_lower_and_say_their_set(project):
    root = project({"requirements.txt": "", "requirements-dev.txt": "alpha\n"})
    finding = only(check(root), "VS201")
    assert finding.severity == Severity.WARNING
    assert finding.declaration_set == "requirements-dev.txt"
    assert "requirements-dev.txt" in finding.message


def test_lower_secondary_false_checks_secondary_sets_at_full_severity(project):
    root = project({"requirements.txt": "", "requirements-dev.txt": "alpha\n"})
    finding = only(check(root, settings=Settings(lower_secondary=False)), "VS201")
    assert finding.severity == Severity.ERROR


def test_included_file_of_the_main_requirements_is_main(project):
    root = project({"requirements.txt": "-r base.txt\n", "base.txt": "alpha\n"})
    finding = only(check(root), "VS201")
    assert finding.severity == Severity.ERROR
    assert finding.file.name == "base.txt"


def test_a_file_included_by_two_sets_is_reported_once(project):
    root = project({"requirements.txt": "alpha\n", "requirements-dev.txt": "-r requirements.txt\nbeta\n"})
    assert sorted((f.code, f.package) for f in check(root).findings) == [("VS201", "alpha"), ("VS201", "beta")]


def test_extra_whose_requirements_are_missing(project, wheels):
    root = project({"requirements.txt": "gamma[fast]\n"})
    pip_install(root / ".venv", "gamma", find_links=wheels)
    finding = only(check(root), "VS203")
    assert "beta>=1" in finding.message


def test_extra_that_the_distribution_does_not_provide(project, wheels):
    root = project({"requirements.txt": "gamma[nope]\n"})
    pip_install(root / ".venv", "gamma", find_links=wheels)
    assert "has no extra 'nope'" in only(check(root), "VS203").message


def test_broken_dependencies_are_exactly_what_pip_check_reports(project, wheels):
    root = project({"requirements.txt": "delta\nbeta\n"})
    pip_install(root / ".venv", "delta", "alpha==1.0", find_links=wheels, args=["--no-deps"])
    pip_install(root / ".venv", "beta", find_links=wheels, args=["--no-deps"])
    report = check(root)
    ours = {f.message.removesuffix(" (in .venv)") for f in report.findings if f.code == "VS204"}
    theirs = {line.rstrip(".") for line in pip_check(root / ".venv")}
    assert ours == theirs and len(ours) == 2


def test_same_package_twice_in_one_file_with_different_specifiers_conflicts(project):
    root = project({"requirements.txt": "alpha>=1\nalpha<3\n"}, venv=False)
    finding = only(check(root), "VS205")
    assert finding.range.start.line == 1


def test_declarations_in_two_sets_that_cannot_both_hold_conflict(project):
    root = project({"requirements.txt": "alpha==1.0\n",
                    "pyproject.toml": "[project]\nname='x'\nversion='1'\ndependencies = ['alpha>=2']\n"},
                   venv=False)
    assert "no version satisfies both" in only(check(root), "VS205").message


def test_declarations_in_two_sets_that_can_both_hold_do_not_conflict(project):
    root = project({"requirements.txt": "alpha==2.1\n", "requirements-dev.txt": "alpha>=2\n"}, venv=False)
    assert "VS205" not in codes(check(root))


def test_two_installed_copies_of_one_distribution(project, wheels):
    root = project({"requirements.txt": "alpha\n"})
    pip_install(root / ".venv", "alpha==1.0", find_links=wheels)
    site = next((root / ".venv").glob("lib/python*/site-packages"))
    shutil.copytree(site / "alpha-1.0.dist-info", site / "Alpha-2.0.dist-info")
    metadata = site / "Alpha-2.0.dist-info" / "METADATA"
    metadata.write_text(metadata.read_text().replace("Version: 1.0", "Version: 2.0"))
    assert "VS105" in codes(check(root))


def test_severity_setting_changes_and_turns_off_codes(project):
    root = project({"requirements.txt": "alpha\n", "requirements-dev.txt": "beta\n"})
    report = check(root, Settings(severity={"VS201": Severity.WARNING}))
    assert sorted(f.severity for f in report.findings) == [Severity.INFORMATION, Severity.WARNING]
    assert check(root, Settings(severity={"VS201": Severity.OFF})).findings == []


def test_project_table_in_pyproject_configures_the_check(project):
    root = project({"pyproject.toml": "[project]\nname='x'\nversion='1'\ndependencies=['alpha', 'beta']\n"
                                      "[tool.venvsense]\nignore = { not-installed = ['Alpha'] }\n"})
    assert [f.package for f in check(root).findings] == ["beta"]


def test_bad_tool_table_is_reported_and_defaults_apply(project):
    root = project({"pyproject.toml": "[project]\nname='x'\nversion='1'\n[tool.venvsense]\nseverity = 3\n"})
    assert "[tool.venvsense] severity must be a table" in only(check(root), "VS206").message


# --- workspace -------------------------------------------------------------------------------------------


def test_nested_projects_are_separate_and_venvs_are_skipped(tmp_path, venv_factory):
    write(tmp_path, {"pyproject.toml": "", "libs/one/requirements.txt": "", "libs/two/setup.cfg": "",
                     "requirements/dev.txt": "", "node_modules/x/requirements.txt": ""})
    venv_factory(".venv", parent=tmp_path)
    (tmp_path / ".venv" / "requirements.txt").write_text("")
    roots = [p.root for p in find_projects(tmp_path)]
    assert roots == [tmp_path, tmp_path / "libs" / "one", tmp_path / "libs" / "two"]


def test_folder_without_manifests_is_one_project(tmp_path):
    assert [p.root for p in find_projects(tmp_path)] == [tmp_path]


# --- the command line ------------------------------------------------------------------------------------


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "venvsense", *args], cwd=cwd, capture_output=True, text=True,
                          env=environ, check=False)


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled examples with their venvs, built by the demo's own setup script in a copy."""
    copy = tmp_path_factory.mktemp("examples") / "examples"
    shutil.copytree(REPO / "examples", copy, ignore=shutil.ignore_patterns(".venv", "wheelhouse"))
    subprocess.run([sys.executable, str(REPO / "examples" / "setup_examples.py"), "--examples", str(copy)],
                   check=True, capture_output=True)
    return copy


def test_the_readme_example_for_project_b(examples):
    result = run_cli("check", "project-b", "--format", "concise", cwd=examples)
    assert result.returncode == 1
    python = (examples / "project-b" / ".venv" / "pyvenv.cfg").read_text()
    version = next(line.split("=")[1].strip() for line in python.splitlines() if line.startswith("version"))
    expected = [
        "project-b/requirements.txt:1:1: VS201 boto3==1.28.3 is declared but not installed in .venv",
        "project-b/requirements.txt:3:1: VS202 pandas==1.5.3 is declared but 2.2.3 is installed in .venv",
        "project-b/requirements.txt:4:1: VS201 PyYAML==6.0.2 is declared but not installed in .venv",
    ]
    if not version.startswith("3.12."):
        expected.insert(0, f"project-b/.python-version:1:1: VS103 .venv was built with Python {version} but "
                           ".python-version asks for 3.12")
    assert [line for line in result.stdout.splitlines() if "VS3" not in line] == expected


def test_project_a_is_healthy(examples):
    result = run_cli("check", "project-a", "--ignore", "VS3", "--format", "concise", cwd=examples)
    python = (examples / "project-a" / ".venv" / "pyvenv.cfg").read_text()
    version = next(line.split("=")[1].strip() for line in python.splitlines() if line.startswith("version"))
    if version.startswith("3.11."):
        assert (result.returncode, result.stdout) == (0, "")
    else:  # no Python 3.11 on this machine to build it with (examples/setup_examples.py)
        assert result.stdout.splitlines() == [f"project-a/.python-version:1:1: VS103 .venv was built with Python "
                                              f"{version} but .python-version asks for 3.11"]


def test_project_a_venv_used_for_project_b(examples):
    result = run_cli("check", "project-b", "--venv", "project-a/.venv", "--select", "VS102", cwd=examples)
    assert result.returncode == 1
    assert "VS102" in result.stdout and "project-a/.venv" in result.stdout


def test_json_output_follows_the_contract(examples):
    result = run_cli("check", "project-b", "--format", "json", "--select", "VS2", cwd=examples)
    document = json.loads(result.stdout)
    assert document["schema"] == 1
    [project_doc] = document["projects"]
    assert project_doc["root"] == str(examples / "project-b")
    assert project_doc["environment"]["source"] == "in-project"
    assert project_doc["environment"]["path"] == str(examples / "project-b" / ".venv")
    first = project_doc["findings"][0]
    assert first == {
        "code": "VS201", "name": "not-installed", "severity": "error",
        "message": "boto3==1.28.3 is declared but not installed in .venv", "file": "requirements.txt",
        "range": {"start": {"line": 1, "column": 1}, "end": {"line": 1, "column": 14}},
        "package": "boto3", "set": "requirements.txt", "problem": None,
    }


def test_a_single_manifest_file_is_checked_on_its_own(examples):
    (examples / "project-b" / "requirements-docs.txt").write_text("sphinx\n")
    try:
        result = run_cli("check", "project-b/requirements-docs.txt", "--select", "VS2", "--format", "concise",
                         cwd=examples)
    finally:
        (examples / "project-b" / "requirements-docs.txt").unlink()
    assert result.stdout.splitlines() == [
        "project-b/requirements-docs.txt:1:1: VS201 sphinx is declared but not installed in .venv"]


def test_missing_path_is_a_usage_error(tmp_path):
    result = run_cli("check", "nope", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "venvsense: nope: no such file or directory"
    assert result.stdout == ""


def test_unknown_code_in_select_is_a_usage_error(tmp_path):
    result = run_cli("check", "--select", "VS999X", cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (2, "venvsense: unknown finding code 'VS999X'")


def test_show_deps_lists_declarations_as_the_contract_says(tmp_path):
    write(tmp_path, {"requirements.txt": "Foo_Bar[b,a]>=1 ; python_version >= '3.8'\n-e ./lib\n",
                     "lib/pyproject.toml": "[project]\nname='lib'\nversion='1'\n",
                     "pyproject.toml": "[project]\nname='x'\nversion='1'\n"
                                       "[project.optional-dependencies]\ntest = ['pytest']\n"})
    result = run_cli("show", "deps", ".", "--format", "json", cwd=tmp_path)
    declared = json.loads(result.stdout)["projects"][0]["declared"]
    assert declared[0] == {"name": "Foo_Bar", "normalized": "foo-bar", "specifier": ">=1", "extras": ["a", "b"],
                           "marker": 'python_version >= "3.8"', "kind": "registry", "url": None,
                           "file": "requirements.txt", "line": 1, "group": "main"}
    assert declared[1]["kind"] == "editable"
    assert declared[2]["group"] == "test" and declared[2]["name"] == "pytest"


@pytest.mark.parametrize("words", [
    ("show", "deps", "proj", "--format", "json"), ("show", "deps", "--format", "json", "proj"),
    ("show", "deps", "--format", "json", "--lock", "proj"), ("show", "deps", "--lock", "proj", "--format", "json"),
])
def test_show_takes_its_paths_before_or_after_its_options(tmp_path, words):
    write(tmp_path, {"proj/requirements.txt": "requests==2.0\n", "other/requirements.txt": "flask\n"})
    result = run_cli(*words, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [project] = json.loads(result.stdout)["projects"]
    assert [d["name"] for d in project["declared"]] == ["requests"]


def test_show_still_refuses_an_unknown_option(tmp_path):
    result = run_cli("show", "deps", "--no-such-option", ".", cwd=tmp_path)
    assert result.returncode == 2 and "unrecognized arguments: --no-such-option" in result.stderr


def test_show_env_lists_distributions(examples):
    result = run_cli("show", "env", "project-a", "--format", "json", cwd=examples)
    document = json.loads(result.stdout)["projects"][0]
    dists = {d["normalized"]: d for d in document["distributions"]}
    assert dists["python-dateutil"]["modules"] == ["dateutil"]
    assert dists["requests"]["version"] == "2.32.3"
    assert "urllib3<3,>=1.21.1" in dists["requests"]["requires"]


def test_requirements_setting_adds_requirement_files(project):
    root = project({"pyproject.toml": "[tool.venvsense]\nrequirements = ['deps/*.txt']\n", "deps/base.txt": "alpha\n"})
    finding = only(check(root), "VS201")
    assert finding.file == root / "deps" / "base.txt"

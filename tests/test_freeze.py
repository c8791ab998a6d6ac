"""`venvsense freeze [PATH] [--all] [--output FILE]` as a person runs it: the distributions the code imports,
pinned to their installed versions, with a comment naming the venv and the date; what they require only with
--all; an existing file never overwritten unless named; and the file it writes, installed into a fresh venv from
the same wheels, makes `check` clean."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.projects import findings, write
from support.wheels import build_wheel, make_venv, pip_install

SERVER = Path(__file__).resolve().parents[1] / "server"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("freeze-wheels")
    build_wheel(house, "requests", "2.32.3", requires=["urllib3>=2", "idna; python_version >= '3'",
                                                       "PySocks; extra == 'socks'", "ancient; python_version < '3'"])
    build_wheel(house, "urllib3", "2.2.0")
    build_wheel(house, "idna", "3.7")
    build_wheel(house, "PySocks", "1.7.1", modules=["socks.py"])
    build_wheel(house, "PyYAML", "6.0.1", modules=["yaml"])
    build_wheel(house, "unused-thing", "1.0")
    return house


def venvsense(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SERVER), "VENVSENSE_CACHE_DIR": ""}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([sys.executable, "-m", "venvsense", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300, check=False)


@pytest.fixture
def tutorial(tmp_path: Path, wheels: Path) -> Path:
    """A folder with no manifest and a venv holding what it imports, their requirements and one unused thing."""
    root = write(tmp_path / "tutorial", {"main.py": "import requests\nimport yaml\nimport json\n",
                                         "lib/helpers.py": "from requests.adapters import HTTPAdapter\n"})
    venv = make_venv(root / ".venv")
    pip_install(venv, "requests", "PyYAML", "unused-thing", find_links=wheels)
    return root


def _pins(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_freeze_pins_what_the_code_imports_with_the_venv_and_the_date(tutorial: Path) -> None:
    result = venvsense("freeze", str(tutorial), "--output", "-", cwd=tutorial.parent)
    assert result.returncode == 0, result.stderr
    assert _pins(result.stdout) == ["PyYAML==6.0.1", "requests==2.32.3"]
    header = result.stdout.splitlines()[0]
    assert header.startswith(f"# written by venvsense freeze on {datetime.date.today().isoformat()} from .venv")
    assert f"(Python {sys.version_info.major}.{sys.version_info.minor}" in header


def test_freeze_all_adds_what_they_require_by_markers_and_extras(tutorial: Path, wheels: Path) -> None:
    result = venvsense("freeze", str(tutorial), "--all", "-o", "-", cwd=tutorial.parent)
    assert result.returncode == 0, result.stderr
    assert _pins(result.stdout) == ["PyYAML==6.0.1", "requests==2.32.3", "idna==3.7  # required by requests",
                                    "urllib3==2.2.0  # required by requests"]  # no extra, no false marker
    assert "unused-thing" not in result.stdout


def test_freeze_writes_requirements_txt_and_never_overwrites_it_unless_named(tutorial: Path) -> None:
    result = venvsense("freeze", cwd=tutorial)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "wrote requirements.txt: 2 pinned requirements\n"
    written = (tutorial / "requirements.txt").read_text(encoding="utf-8")
    assert _pins(written) == ["PyYAML==6.0.1", "requests==2.32.3"]
    (tutorial / "requirements.txt").write_text("# mine\nrequests\n", encoding="utf-8")
    refused = venvsense("freeze", cwd=tutorial)
    assert refused.returncode == 2 and "does not overwrite it" in refused.stderr
    assert (tutorial / "requirements.txt").read_text(encoding="utf-8") == "# mine\nrequests\n"
    replaced = venvsense("freeze", "--all", "--output", "requirements.txt", cwd=tutorial)
    assert replaced.returncode == 0, replaced.stderr
    assert replaced.stdout == "replaced requirements.txt: 4 pinned requirements\n"  # said, not silent
    assert "urllib3==2.2.0" in (tutorial / "requirements.txt").read_text(encoding="utf-8")


def test_freeze_never_writes_through_a_link_it_was_not_told_to(tutorial: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    (tutorial / "requirements.txt").symlink_to(elsewhere)  # dangling: creating it would write elsewhere
    result = venvsense("freeze", str(tutorial), cwd=tmp_path)
    assert result.returncode == 2 and not elsewhere.exists()


def test_freeze_without_a_venv_says_why(tmp_path: Path) -> None:
    root = write(tmp_path / "t", {"main.py": "import requests\n"})
    result = venvsense("freeze", str(root), cwd=tmp_path)
    assert result.returncode == 2 and "has no venv: there is nothing to freeze" in result.stderr
    assert not (root / "requirements.txt").exists()


def test_the_frozen_file_installed_into_a_fresh_venv_makes_check_clean(tutorial: Path, tmp_path: Path,
                                                                      wheels: Path) -> None:
    assert venvsense("freeze", str(tutorial), cwd=tmp_path).returncode == 0
    fresh = write(tmp_path / "fresh", {"main.py": (tutorial / "main.py").read_text(encoding="utf-8"),
                                       "lib/helpers.py": (tutorial / "lib/helpers.py").read_text(encoding="utf-8"),
                                       "requirements.txt": (tutorial / "requirements.txt").read_text(
                                           encoding="utf-8")})
    venv = make_venv(fresh / ".venv")
    pip_install(venv, "-r", str(fresh / "requirements.txt"), find_links=wheels)
    assert findings(fresh) == []
    assert findings(tutorial) == []  # the original folder, now with the file, is clean too


def test_freeze_of_a_workspace_with_several_projects_asks_for_one(tmp_path: Path) -> None:
    write(tmp_path, {"a/main.py": "import requests\n", "b/main.py": "import yaml\n"})
    result = venvsense("freeze", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "holds 2 projects" in result.stderr
